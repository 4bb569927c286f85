import { randomBytes } from 'node:crypto';
import { runSoql } from './salesforce-soql.ts';
import { CodeFlow } from './oauth-faces.ts';

/**
 * The Salesforce side of the sandbox CRM: the REST endpoints jsforce uses for leadstage — SOQL
 * query (the query shapes leadstage issues), sObject Collections update and create (≤ 200
 * records, allOrNone, per-record results), describe, and OAuth refresh — in memory.
 */
export type SfRecord = Record<string, unknown> & { Id: string };

export interface SfFieldSpec {
  name: string;
  type: 'string' | 'double' | 'picklist' | 'datetime' | 'reference' | 'id' | 'textarea' | 'boolean' | 'email';
  picklistValues?: string[];
  relationshipName?: string;
}

export interface SfReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const ID_PREFIX: Record<string, string> = { Lead: '00Q', Contact: '003', Task: '00T', User: '005' };

export class SalesforceFace {
  readonly orgId: string;
  readonly records: Record<'Lead' | 'Contact' | 'Task' | 'User' | 'Account', Map<string, SfRecord>> = {
    Lead: new Map(),
    Contact: new Map(),
    Task: new Map(),
    User: new Map(),
    Account: new Map(),
  };
  readonly schema: Record<'Lead' | 'Contact', SfFieldSpec[]> = { Lead: [], Contact: [] };
  /** Valid access tokens; a refresh adds one. */
  readonly tokens = new Set<string>();
  /** The one valid refresh token. With `rotateRefreshTokens`, each refresh replaces it (as External Client Apps do). */
  refreshToken = 'sandbox-refresh-token';
  rotateRefreshTokens = true;
  /** The External Client App's consumer key and secret the token endpoint checks. */
  readonly client = { id: 'sandbox-client', secret: 'sandbox-client-secret' };
  /** Consent and code exchange of the web-server flow (PKCE enforced when a challenge was sent). */
  readonly codeFlow = new CodeFlow(this.client);
  /** The queue an assignment rule moves new owners to when Sforce-Auto-Assign is not FALSE. */
  assignmentQueueId = '00G000000000001AAA';
  /** Called after records change (the sandbox sends outbound messages from here). */
  onChange: (type: 'Lead' | 'Contact' | 'Task', ids: string[]) => void = () => undefined;
  private seq = 1;

  constructor(orgId: string, initialToken = 'sandbox-access-token') {
    this.orgId = orgId;
    this.tokens.add(initialToken);
  }

  /** Every access token expires (the org's session timeout passed): the next call gets a 401. */
  expireAccessTokens(): void {
    this.tokens.clear();
  }

  newId(type: keyof typeof ID_PREFIX): string {
    const n = String(this.seq++).padStart(12, '0');
    return `${ID_PREFIX[type]}${n}AAA`;
  }

  private err(status: number, errorCode: string, message: string): SfReply {
    return { status, body: [{ message, errorCode }] };
  }

  handle(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: Record<string, string | string[] | undefined>,
    body: unknown,
    baseUrl: string,
  ): SfReply {
    if (method === 'POST' && path === '/services/oauth2/token') return this.oauth(String(body ?? ''), baseUrl);
    if (method === 'GET' && path === '/services/oauth2/authorize') return this.codeFlow.authorize(query);
    const auth = String(headers['authorization'] ?? '').replace(/^Bearer /, '');
    if (!this.tokens.has(auth)) return this.err(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    const m = /^\/services\/data\/v\d+\.0(\/.*)$/.exec(path);
    if (!m) return this.err(404, 'NOT_FOUND', 'The requested resource does not exist');
    const rest = m[1]!;
    if (method === 'GET' && rest === '/query') return this.query(query.get('q') ?? '');
    if (rest === '/composite/sobjects' && (method === 'PATCH' || method === 'POST')) {
      const b = body as { allOrNone?: boolean; records?: SfRecord[] };
      if (!b?.records) return this.err(400, 'JSON_PARSER_ERROR', 'records is required');
      if (b.records.length > 200)
        return this.err(
          400,
          'EXCEEDED_ID_LIMIT',
          'record limit reached. cannot submit more than 200 records into this call',
        );
      return method === 'PATCH'
        ? this.update(b.records, b.allOrNone === true, String(headers['sforce-auto-assign'] ?? ''))
        : this.create(b.records, b.allOrNone === true);
    }
    const d = /^\/sobjects\/(Lead|Contact|Task)\/describe$/.exec(rest);
    if (method === 'GET' && d) return d[1] === 'Task' ? this.describeTask() : this.describe(d[1] as 'Lead' | 'Contact');
    return this.err(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  private oauth(form: string, baseUrl: string): SfReply {
    const p = new URLSearchParams(form);
    if (
      p.get('client_id') !== this.client.id ||
      (p.has('client_secret') && p.get('client_secret') !== this.client.secret)
    ) {
      return { status: 400, body: { error: 'invalid_client_id', error_description: 'client identifier invalid' } };
    }
    if (p.get('grant_type') === 'authorization_code') {
      // The web-server flow: the code, the same redirect URI, and the PKCE verifier (S256).
      const refused = this.codeFlow.redeem(p);
      if (refused) return { status: refused.status, body: refused.body };
      this.refreshToken = `sandbox-refresh-${randomBytes(8).toString('hex')}`;
      const access = `sandbox-${randomBytes(8).toString('hex')}`;
      this.tokens.add(access);
      return {
        status: 200,
        body: {
          access_token: access,
          refresh_token: this.refreshToken,
          signature: 'sandbox',
          scope: 'api refresh_token',
          instance_url: baseUrl,
          id: `${baseUrl}/id/${this.orgId}/005000000000001AAA`,
          token_type: 'Bearer',
          issued_at: String(Date.now()),
        },
      };
    }
    if (p.get('grant_type') !== 'refresh_token' || p.get('refresh_token') !== this.refreshToken) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'expired access/refresh token' } };
    }
    const token = `sandbox-${randomBytes(8).toString('hex')}`;
    this.tokens.add(token);
    // Refresh-token rotation: a new refresh token with every refresh; the old one is dead from now on.
    const rotated = this.rotateRefreshTokens
      ? { refresh_token: (this.refreshToken = `sandbox-refresh-${randomBytes(8).toString('hex')}`) }
      : {};
    return {
      status: 200,
      body: {
        access_token: token,
        ...rotated,
        instance_url: baseUrl,
        id: `${baseUrl}/id/${this.orgId}/005000000000001AAA`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
        signature: 'sandbox',
      },
    };
  }

  /** Records per query answer; more rows come back with done: false and a nextRecordsUrl (as Salesforce batches). */
  queryBatchSize = 2_000;

  private query(soql: string): SfReply {
    return runSoql(soql, this.records, this.queryBatchSize);
  }

  private fieldNames(type: 'Lead' | 'Contact'): Set<string> {
    return new Set(['Id', 'OwnerId', 'IsConverted', 'AccountId', ...this.schema[type].map((f) => f.name)]);
  }

  private update(records: SfRecord[], allOrNone: boolean, autoAssign: string): SfReply {
    const results = records.map((rec) => {
      const { id, attributes, ...fields } = rec as unknown as {
        id: string;
        attributes: { type: 'Lead' | 'Contact' | 'Task' };
      } & Record<string, unknown>;
      if (attributes?.type === 'Task') return this.updateTask(id, fields);
      const type = attributes?.type;
      const existing = type && (type === 'Lead' || type === 'Contact') ? this.records[type].get(id) : undefined;
      if (!existing)
        return {
          id,
          success: false,
          errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }],
        };
      const known = this.fieldNames(type);
      const unknown = Object.keys(fields).filter((f) => !known.has(f));
      if (unknown.length)
        return {
          id,
          success: false,
          errors: [
            {
              statusCode: 'INVALID_FIELD',
              message: `No such column '${unknown[0]}' on entity '${type}'.`,
              fields: unknown,
            },
          ],
        };
      for (const spec of this.schema[type]) {
        const v = fields[spec.name];
        if (spec.type === 'picklist' && v !== undefined && v !== null && !spec.picklistValues?.includes(String(v))) {
          return {
            id,
            success: false,
            errors: [
              {
                statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
                message: `${spec.name}: bad value for restricted picklist field: ${String(v)}`,
                fields: [spec.name],
              },
            ],
          };
        }
      }
      return {
        id,
        success: true,
        errors: [] as unknown[],
        apply: () => {
          Object.assign(existing, fields, { SystemModstamp: new Date().toISOString() });
          // Without Sforce-Auto-Assign: FALSE, the org's assignment rule takes the Lead to a queue.
          if (type === 'Lead' && autoAssign.toUpperCase() !== 'FALSE') existing['OwnerId'] = this.assignmentQueueId;
        },
      };
    });
    if (allOrNone && results.some((r) => !r.success))
      return {
        status: 200,
        body: results.map((r) => ({
          id: r.id,
          success: false,
          errors: r.success
            ? [
                {
                  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                  message:
                    'Record rolled back because not all records were valid and the request was using AllOrNone header',
                  fields: [],
                },
              ]
            : r.errors,
        })),
      };
    const changed: Record<string, string[]> = {};
    for (const [i, r] of results.entries()) {
      if (!r.success || !('apply' in r)) continue;
      r.apply!();
      const type = (records[i] as unknown as { attributes: { type: string } }).attributes.type;
      (changed[type] ??= []).push(r.id);
    }
    for (const [type, ids] of Object.entries(changed)) this.onChange(type as 'Lead' | 'Contact' | 'Task', ids);
    return { status: 200, body: results.map(({ id, success, errors }) => ({ id, success, errors })) };
  }

  /** A Task update: Status, Priority (restricted picklists), OwnerId, Description; IsClosed follows Status. */
  private updateTask(id: string, fields: Record<string, unknown>) {
    const task = this.records.Task.get(id);
    if (!task)
      return {
        id,
        success: false,
        errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }],
      };
    for (const name of ['Status', 'Priority'] as const) {
      if (fields[name] !== undefined && !this.taskPicklists[name].includes(String(fields[name]))) {
        return {
          id,
          success: false,
          errors: [
            {
              statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
              message: `${name}: bad value for restricted picklist field: ${String(fields[name])}`,
              fields: [name],
            },
          ],
        };
      }
    }
    return {
      id,
      success: true,
      errors: [] as unknown[],
      apply: () => {
        Object.assign(task, fields, { SystemModstamp: new Date().toISOString() });
        task['IsClosed'] = task['Status'] === 'Completed';
      },
    };
  }

  private create(records: SfRecord[], allOrNone: boolean): SfReply {
    const results = records.map((rec) => {
      const { attributes, ...fields } = rec as unknown as { attributes: { type: string } } & Record<string, unknown>;
      if (attributes?.type !== 'Task')
        return {
          success: false,
          errors: [
            { statusCode: 'INVALID_TYPE', message: `sandbox creates Tasks only, not ${attributes?.type}`, fields: [] },
          ],
        };
      const missing = ['Subject', 'Status', 'Priority'].filter((f) => !fields[f]);
      if (missing.length)
        return {
          success: false,
          errors: [
            {
              statusCode: 'REQUIRED_FIELD_MISSING',
              message: `Required fields are missing: [${missing.join(', ')}]`,
              fields: missing,
            },
          ],
        };
      if (String(fields['Subject']).length > 255)
        return {
          success: false,
          errors: [{ statusCode: 'STRING_TOO_LONG', message: 'Subject: data value too large', fields: ['Subject'] }],
        };
      return { success: true, errors: [] as unknown[], fields };
    });
    if (allOrNone && results.some((r) => !r.success))
      return { status: 200, body: results.map((r) => ({ success: false, errors: r.errors })) };
    const body = results.map((r) => {
      if (!r.success || !('fields' in r)) return { success: false, errors: r.errors };
      const id = this.newId('Task');
      this.records.Task.set(id, {
        Id: id,
        CreatedDate: new Date().toISOString(),
        IsClosed: r.fields?.['Status'] === 'Completed',
        ...r.fields,
      });
      return { id, success: true, errors: [] };
    });
    const ids = body.filter((b) => b.success).map((b) => (b as { id: string }).id);
    if (ids.length) this.onChange('Task', ids);
    return { status: 200, body };
  }

  /** The org's rolling 24-hour API usage, reported on every answer as Sforce-Limit-Info. */
  readonly apiUsage = { used: 0, limit: 100_000 };

  /** The header every REST answer carries (developer.salesforce.com … headers_api_usage.htm). */
  limitInfo(): Record<string, string> {
    return { 'Sforce-Limit-Info': `api-usage=${this.apiUsage.used}/${this.apiUsage.limit}` };
  }

  /** The org's TaskStatus and TaskPriority picklists (Salesforce's defaults; tests change them). */
  readonly taskPicklists = {
    Status: ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'],
    Priority: ['High', 'Normal', 'Low'],
  };

  private describeTask(): SfReply {
    const picklist = (name: 'Status' | 'Priority') => ({
      name,
      type: 'picklist',
      picklistValues: this.taskPicklists[name].map((v) => ({ value: v, label: v, active: true })),
    });
    return {
      status: 200,
      body: {
        name: 'Task',
        fields: [
          { name: 'Id', type: 'id' },
          { name: 'Subject', type: 'combobox' },
          picklist('Status'),
          picklist('Priority'),
        ],
      },
    };
  }

  private describe(type: 'Lead' | 'Contact'): SfReply {
    const fields = [
      { name: 'Id', type: 'id' },
      { name: 'OwnerId', type: 'reference' },
      ...(type === 'Contact' ? [{ name: 'AccountId', type: 'reference', relationshipName: 'Account' }] : []),
      ...this.schema[type].map((f) => ({
        name: f.name,
        type: f.type,
        relationshipName: f.relationshipName ?? null,
        picklistValues: (f.picklistValues ?? []).map((v) => ({ value: v, label: v, active: true })),
      })),
    ];
    return { status: 200, body: { name: type, fields } };
  }
}
