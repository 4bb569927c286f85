import { randomBytes } from 'node:crypto';
import { searchContacts } from './hubspot-search.ts';
import { propertiesRoute } from './hubspot-properties.ts';
import { createTasks, readTasks, searchTasks, updateTasks } from './hubspot-tasks.ts';
import { CodeFlow } from './oauth-faces.ts';

/**
 * The HubSpot side of the sandbox CRM: the CRM v3 endpoints leadstage calls, in memory, with
 * HubSpot's shapes and rules where they matter — 100 inputs per batch, unknown properties
 * rejected, lifecyclestage only moving forward, and the per-portal rate limit with 429s.
 */
export interface SandboxContact {
  id: string;
  properties: Record<string, string | null>;
}

export interface SandboxTask {
  id: string;
  properties: Record<string, string>;
  contactIds: string[];
}

export interface HsReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A property change the sandbox reports through webhooks (changeSource INTEGRATION = an API write). */
export interface HsChange {
  objectId: string;
  propertyName: string;
  propertyValue: string;
  changeSource: 'CRM' | 'INTEGRATION';
}

const STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];
const BASE_PROPERTIES = [
  'email',
  'firstname',
  'lastname',
  'jobtitle',
  'company',
  'industry',
  'numemployees',
  'country',
  'lifecyclestage',
  'hs_lead_status',
  'hubspot_owner_id',
  'hs_email_open',
  'hs_email_last_open_date',
  'hs_email_last_click_date',
  'hs_email_last_reply_date',
  'hs_analytics_num_page_views',
  'num_conversion_events',
  'recent_conversion_date',
  'hs_object_id',
];

export class HubSpotFace {
  readonly portalId: string;
  readonly accessToken: string;
  readonly contacts = new Map<string, SandboxContact>();
  readonly tasks: SandboxTask[] = [];
  readonly owners: { id: string; archived: boolean; firstName?: string; lastName?: string; email?: string }[] = [];
  /** Contact properties the portal has; writes to others are rejected as HubSpot does. */
  readonly properties = new Set(BASE_PROPERTIES);
  readonly groups = new Set(['contactinformation']);
  /** When each contact last changed (epoch ms): HubSpot's lastmodifieddate, for searches. */
  readonly modifiedAt = new Map<string, number>();
  /** 429s this face answered because a caller went over the rolling window. */
  tooManyRequests = 0;
  /** The account's time zone, as account-info reports it. */
  timeZone = 'US/Eastern';
  /** Options of the portal's enumeration properties (HubSpot's defaults; tests add custom stages). */
  readonly options: Record<string, string[]> = {
    lifecyclestage: [
      'subscriber',
      'lead',
      'marketingqualifiedlead',
      'salesqualifiedlead',
      'opportunity',
      'customer',
      'evangelist',
      'other',
    ],
    hs_lead_status: [
      'NEW',
      'OPEN',
      'IN_PROGRESS',
      'OPEN_DEAL',
      'UNQUALIFIED',
      'ATTEMPTED_TO_CONTACT',
      'CONNECTED',
      'BAD_TIMING',
    ],
  };
  /** When leadstage first wrote each contact (epoch ms), for latency and throughput figures. */
  readonly firstWrite = new Map<string, number>();
  /** Requests allowed per window (HubSpot public apps: 110 per 10 s per portal). */
  rateLimit = { max: 110, windowMs: 10_000 };
  onChange: (changes: HsChange[]) => void = () => undefined;
  /** This portal alone answers 429 until this epoch ms (one tenant's storm; faults.stormUntil hits all). */
  stormUntil = 0;
  private readonly recent: number[] = [];
  private nextId = 5_000;

  /** Valid access tokens (the static one, and those issued through OAuth). */
  readonly tokens = new Set<string>();
  /** Refresh token → still valid; an uninstall revokes them all. */
  private readonly refreshTokens = new Set<string>();
  /** The OAuth app's consent and code exchange (client id and secret as the app's). */
  readonly codeFlow = new CodeFlow({ id: 'sandbox-hubspot-client-id', secret: 'sandbox-hubspot-client-secret' });

  constructor(portalId: string, accessToken: string) {
    this.portalId = portalId;
    this.accessToken = accessToken;
    this.tokens.add(accessToken);
  }

  /** The rate-limit verdict for one request now; HubSpot counts every authenticated call. */
  private admit(now: number): { ok: boolean; headers: Record<string, string> } {
    while (this.recent.length && this.recent[0]! <= now - this.rateLimit.windowMs) this.recent.shift();
    const ok = this.recent.length < this.rateLimit.max;
    if (ok) this.recent.push(now);
    return {
      ok,
      headers: {
        'X-HubSpot-RateLimit-Max': String(this.rateLimit.max),
        'X-HubSpot-RateLimit-Remaining': String(Math.max(0, this.rateLimit.max - this.recent.length)),
        'X-HubSpot-RateLimit-Interval-Milliseconds': String(this.rateLimit.windowMs),
      },
    };
  }

  handle(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: Record<string, string | string[] | undefined>,
    body: any,
  ): HsReply {
    if (method === 'GET' && path === '/oauth/authorize') return this.codeFlow.authorize(query);
    if (method === 'POST' && path === '/oauth/v3/token') return this.token(new URLSearchParams(String(body ?? '')));
    if (!this.tokens.has(String(headers['authorization'] ?? '').replace(/^Bearer /, ''))) {
      return {
        status: 401,
        body: { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION' },
      };
    }
    const gate = this.admit(Date.now());
    if (!gate.ok) {
      this.tooManyRequests += 1;
      return {
        status: 429,
        headers: gate.headers,
        body: {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          policyName: 'TEN_SECONDLY_ROLLING',
          category: 'RATE_LIMITS',
        },
      };
    }
    const clean = path.replace(/\/$/, '');
    // Single-property reads: one route for any property name.
    const route =
      /^\/crm\/v3\/properties\/contacts\/[^/]+$/.test(clean) &&
      method === 'GET' &&
      clean !== '/crm/v3/properties/contacts/groups'
        ? 'GET /crm/v3/properties/contacts/:name'
        : `${method} ${clean}`;
    const reply = this.route(route, query, body, clean);
    return { ...reply, headers: { ...gate.headers, ...reply.headers } };
  }

  private route(route: string, query: URLSearchParams, body: any, path = ''): HsReply {
    const now = new Date().toISOString();
    const tooMany = (n: number): HsReply | null =>
      n > 100
        ? { status: 400, body: { status: 'error', message: 'Batch input limit is 100', category: 'VALIDATION_ERROR' } }
        : null;
    const asRecord = (c: SandboxContact, props?: string[]) => ({
      id: c.id,
      createdAt: now,
      updatedAt: now,
      archived: false,
      properties: props ? Object.fromEntries(props.map((p) => [p, c.properties[p] ?? null])) : c.properties,
    });
    switch (route) {
      case 'POST /crm/v3/objects/contacts/batch/read': {
        const limit = tooMany(body.inputs.length);
        if (limit) return limit;
        const lookup = (key: string) =>
          body.idProperty === 'email'
            ? [...this.contacts.values()].find((c) => (c.properties['email'] ?? '').toLowerCase() === key.toLowerCase())
            : this.contacts.get(key);
        const found = body.inputs.map((i: { id: string }) => lookup(i.id)).filter(Boolean) as SandboxContact[];
        const missing = body.inputs.map((i: { id: string }) => i.id).filter((id: string) => !lookup(id));
        return {
          status: missing.length ? 207 : 200,
          body: {
            status: 'COMPLETE',
            startedAt: now,
            completedAt: now,
            results: found.map((c) => asRecord(c, body.properties)),
            ...(missing.length
              ? {
                  numErrors: 1,
                  errors: [
                    {
                      status: 'error',
                      category: 'OBJECT_NOT_FOUND',
                      message: 'Could not get some CONTACT objects, they may be deleted or not exist.',
                      context: { ids: missing },
                    },
                  ],
                }
              : {}),
          },
        };
      }
      case 'POST /crm/v3/objects/contacts/batch/update': {
        const limit = tooMany(body.inputs.length);
        if (limit) return limit;
        const unknown = body.inputs
          .flatMap((i: { properties: Record<string, string> }) => Object.keys(i.properties))
          .filter((p: string) => !this.properties.has(p));
        if (unknown.length) {
          const detail = [...new Set(unknown)].map((name) => ({
            isValid: false,
            message: `Property "${name}" does not exist`,
            error: 'PROPERTY_DOESNT_EXIST',
            name,
          }));
          return {
            status: 400,
            body: {
              status: 'error',
              message: `Property values were not valid: ${JSON.stringify(detail)}`,
              category: 'VALIDATION_ERROR',
            },
          };
        }
        const results = [];
        const changes: HsChange[] = [];
        for (const input of body.inputs as { id: string; properties: Record<string, string> }[]) {
          const c = this.contacts.get(input.id);
          if (!c) continue;
          for (const [k, v] of Object.entries(input.properties)) {
            // HubSpot ignores a backward lifecyclestage; clearing it ("") is how one goes back.
            if (
              k === 'lifecyclestage' &&
              v !== '' &&
              c.properties[k] &&
              STAGES.indexOf(v) < STAGES.indexOf(c.properties[k]!)
            )
              continue;
            if (c.properties[k] === v) continue;
            c.properties[k] = v;
            this.modifiedAt.set(c.id, Date.now());
            changes.push({ objectId: c.id, propertyName: k, propertyValue: v, changeSource: 'INTEGRATION' });
            if (!this.firstWrite.has(c.id)) this.firstWrite.set(c.id, Date.now());
          }
          results.push(asRecord(c));
        }
        if (changes.length) this.onChange(changes);
        return { status: 200, body: { status: 'COMPLETE', startedAt: now, completedAt: now, results } };
      }
      case 'POST /crm/v3/objects/tasks':
      case 'POST /crm/v3/objects/tasks/batch/create':
        return createTasks(
          this.tasks,
          route.endsWith('create') ? body.inputs : [body],
          route.endsWith('create'),
          () => String(this.nextId++),
          now,
        );
      case 'GET /account-info/2026-03/details':
        return {
          status: 200,
          body: {
            portalId: Number(this.portalId),
            accountType: 'STANDARD',
            timeZone: this.timeZone,
            companyCurrency: 'USD',
            additionalCurrencies: [],
            utcOffset: '-05:00',
            utcOffsetMilliseconds: -18_000_000,
            uiDomain: 'app.hubspot.com',
            dataHostingLocation: 'na1',
          },
        };
      case 'POST /crm/v3/objects/contacts/search':
        return searchContacts(this.contacts.values(), this.modifiedAt, body);
      case 'POST /crm/v3/objects/tasks/batch/read':
        return readTasks(this.tasks, body, now);
      case 'POST /crm/v3/objects/tasks/batch/update':
        return updateTasks(this.tasks, body, now);
      case 'POST /crm/v3/objects/tasks/search':
        return searchTasks(this.tasks, body);
      case 'GET /crm/v3/objects/contacts': {
        const limit = Math.min(100, Number(query.get('limit') ?? 10));
        const ids = [...this.contacts.keys()];
        const start = query.get('after') ? ids.indexOf(query.get('after')!) : 0;
        const page = ids.slice(start, start + limit);
        const next = ids[start + limit];
        // `properties` as the SDK sends it (comma-separated), or repeated; hs_object_id always comes back.
        const props = [
          'hs_object_id',
          ...query
            .getAll('properties')
            .flatMap((p) => p.split(','))
            .filter(Boolean),
        ];
        return {
          status: 200,
          body: {
            results: page.map((id) => asRecord(this.contacts.get(id)!, props)),
            ...(next ? { paging: { next: { after: next, link: `?after=${next}` } } } : {}),
          },
        };
      }
      case 'GET /crm/v3/owners': {
        const archived = query.get('archived') === 'true';
        return {
          status: 200,
          body: {
            results: this.owners
              .filter((o) => o.archived === archived)
              .map((o) => ({
                id: o.id,
                email: o.email ?? null,
                firstName: o.firstName ?? null,
                lastName: o.lastName ?? null,
                userId: Number(o.id) + 9_000_000,
                archived: o.archived,
              })),
          },
        };
      }
      case 'GET /crm/v3/properties/contacts/groups':
      case 'POST /crm/v3/properties/contacts/groups':
      case 'GET /crm/v3/properties/contacts':
      case 'GET /crm/v3/properties/contacts/:name':
      case 'POST /crm/v3/properties/contacts':
        return propertiesRoute(
          route,
          { groups: this.groups, properties: this.properties, options: this.options },
          body,
          path,
        );
      default:
        return {
          status: 404,
          body: { status: 'error', message: `sandbox: no route ${route}`, category: 'OBJECT_NOT_FOUND' },
        };
    }
  }

  /**
   * POST /oauth/v3/token (form): a code for a token pair, or a refresh token for a new access
   * token; answers as HubSpot documents (hub_id, scopes, expires_in 1800; BAD_REFRESH_TOKEN).
   */
  private token(form: URLSearchParams): HsReply {
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') {
      const refused = this.codeFlow.redeem(form);
      if (refused) return { status: refused.status, body: refused.body };
    } else if (grant === 'refresh_token') {
      if (
        form.get('client_id') !== this.codeFlow.client.id ||
        form.get('client_secret') !== this.codeFlow.client.secret
      ) {
        return { status: 401, body: { status: 'BAD_CLIENT_ID', message: 'invalid client' } };
      }
      if (!this.refreshTokens.has(form.get('refresh_token') ?? '')) {
        return {
          status: 400,
          body: {
            error: 'invalid_grant',
            error_description: 'refresh token is invalid, expired or revoked',
            status: 'BAD_REFRESH_TOKEN',
            message: 'refresh token is invalid, expired or revoked',
          },
        };
      }
    } else {
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const access = `sandbox-hs-${randomBytes(12).toString('hex')}`;
    this.tokens.add(access);
    const refresh = grant === 'refresh_token' ? form.get('refresh_token')! : `na1-${randomBytes(12).toString('hex')}`;
    this.refreshTokens.add(refresh);
    return {
      status: 200,
      body: {
        token_type: 'bearer',
        refresh_token: refresh,
        access_token: access,
        hub_id: Number(this.portalId),
        scopes: ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write'],
        expires_in: 1800,
      },
    };
  }

  /** Whether this portal issued `token` and has not revoked it (which portal a refresh belongs to). */
  hasRefreshToken(token: string): boolean {
    return this.refreshTokens.has(token);
  }

  /** Every access token but the static one stops working (30 minutes passed). */
  expireOAuthTokens(): void {
    for (const t of [...this.tokens]) if (t !== this.accessToken) this.tokens.delete(t);
  }

  /** The portal uninstalls the app: its refresh tokens are revoked and its access tokens end. */
  uninstall(): void {
    this.refreshTokens.clear();
    this.expireOAuthTokens();
  }

  /** Give the portal these contact properties (what `leadstage setup hubspot` creates). */
  addProperties(names: Iterable<string>): void {
    this.groups.add('leadstage');
    for (const n of names) this.properties.add(n);
  }

  /** A change made in the CRM whose webhook never arrives (HubSpot gave up, the portal was down). */
  setPropertySilently(contactId: string, propertyName: string, value: string): void {
    const c = this.contacts.get(contactId);
    if (!c) throw new Error(`sandbox: no HubSpot contact ${contactId}`);
    c.properties[propertyName] = value;
    this.modifiedAt.set(contactId, Date.now());
  }

  /** A change made "in the CRM" (by a person or a form): applied, and reported like HubSpot does. */
  setProperty(contactId: string, propertyName: string, value: string): void {
    const c = this.contacts.get(contactId);
    if (!c) throw new Error(`sandbox: no HubSpot contact ${contactId}`);
    c.properties[propertyName] = value;
    this.modifiedAt.set(contactId, Date.now());
    this.onChange([{ objectId: contactId, propertyName, propertyValue: value, changeSource: 'CRM' }]);
  }
}
