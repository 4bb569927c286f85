import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HubSpotFace } from './hubspot-face.ts';
import { SalesforceFace } from './salesforce-face.ts';
import { HubSpotWebhookSender, SalesforceOutboundSender } from './webhook-sender.ts';

/** Faults to inject, by option or environment (SANDBOX_ERROR_RATE, SANDBOX_LATENCY_MS, …). */
export interface FaultOptions {
  /** Share of API calls answered 5xx (0–1). */
  errorRate?: number;
  /** Added latency per API call, ms. */
  latencyMs?: number;
  /** Share of API calls that never answer (the client's timeout decides). */
  timeoutRate?: number;
  /** HubSpot calls answer 429 until this epoch ms (a "429 storm"). */
  stormUntil?: number;
  /** Seed for the fault dice, so a test sees the same faults every run. */
  seed?: number;
  /**
   * The next N HubSpot task creations answer 502 after the tasks were created (a proxy timed out
   * while HubSpot went on): the client must find them rather than create them again.
   */
  lostTaskCreates?: number;
}

/** Secrets leadstage and the sandbox share in a local run (never used anywhere real). */
export const SANDBOX_SECRETS = {
  salesforceWebhookToken: 'sandbox-outbound-message-token',
  eventsSigningSecret: 'sandbox-events-signing-secret',
} as const;

export interface SandboxOptions {
  hubspot?: { portalId: string; accessToken: string; clientSecret: string; appId: string };
  salesforce?: { orgId: string; accessToken: string; integrationUserId: string };
  faults?: FaultOptions;
}

/**
 * A local CRM with two faces on one port: HubSpot-compatible (/crm/v3/…) and
 * Salesforce-compatible (/services/…). The SDKs reach it through their own configuration
 * (HubSpot `basePath`, jsforce `instanceUrl`); it sends webhooks to leadstage like the real CRMs
 * once `connect` has been called. It counts calls per route.
 */
export class SandboxCrm {
  /** The first HubSpot portal (most runs have one); every portal is in `hubspotPortals`. */
  readonly hubspot: HubSpotFace;
  /** HubSpot portals by id: API calls reach the portal whose token they carry. */
  readonly hubspotPortals = new Map<string, HubSpotFace>();
  /** The portal the consent screen picks (a person choosing an account on HubSpot's consent page). */
  hubspotConsentPortal: string;
  readonly salesforce: SalesforceFace;
  readonly calls = new Map<string, number>();
  /** When each API call arrived (epoch ms), for utilisation figures. */
  readonly callTimes: number[] = [];
  /** Delay before answering, per route substring (to catch a worker mid-call). */
  readonly delays = new Map<string, number>();
  faults: FaultOptions;
  /** Faults injected so far, by kind (tests check that their faults really happened). */
  readonly injected = { errors: 0, timeouts: 0, storm: 0 };
  hubspotWebhooks: HubSpotWebhookSender | undefined;
  /** Webhook senders per portal (each signs and names its own portalId). */
  readonly hubspotSenders = new Map<string, HubSpotWebhookSender>();
  private leadstageUrl = '';
  salesforceOutbound: SalesforceOutboundSender | undefined;
  url = '';
  private readonly opts: Required<Pick<SandboxOptions, 'hubspot' | 'salesforce'>>;
  private server: Server | undefined;
  private dice: () => number;

  constructor(opts: SandboxOptions = {}) {
    this.opts = {
      hubspot: opts.hubspot ?? {
        portalId: '62515',
        accessToken: 'pat-sandbox',
        clientSecret: 'sandbox-hubspot-client-secret',
        appId: '54321',
      },
      salesforce: opts.salesforce ?? {
        orgId: '00D5g000004SxyzEAC',
        accessToken: 'sandbox-access-token',
        integrationUserId: '005000000000009AAA',
      },
    };
    this.hubspot = new HubSpotFace(this.opts.hubspot.portalId, this.opts.hubspot.accessToken);
    this.hubspotPortals.set(this.hubspot.portalId, this.hubspot);
    this.hubspotConsentPortal = this.hubspot.portalId;
    this.salesforce = new SalesforceFace(this.opts.salesforce.orgId, this.opts.salesforce.accessToken);
    this.faults = opts.faults ?? {};
    let seed = this.faults.seed ?? 1;
    this.dice = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  }

  /**
   * The settings leadstage needs to run against this sandbox (both CRMs, all sources), as
   * environment variables: what `npm run sandbox` prints and the demo pipeline uses.
   * `publicUrl`: where leadstage will listen (the sandbox signs its webhooks for that URL).
   */
  leadstageEnv(publicUrl: string, secrets = SANDBOX_SECRETS): Record<string, string> {
    const h = this.opts.hubspot;
    const sf = this.opts.salesforce;
    return {
      PUBLIC_BASE_URL: publicUrl,
      HUBSPOT_CLIENT_SECRET: h.clientSecret,
      HUBSPOT_APP_ID: h.appId,
      HUBSPOT_API_BASE_URL: this.url,
      HUBSPOT_ACCESS_TOKEN: h.accessToken,
      HUBSPOT_PORTAL_ID: h.portalId,
      SALESFORCE_ORG_IDS: sf.orgId,
      SALESFORCE_WEBHOOK_TOKEN: secrets.salesforceWebhookToken,
      SALESFORCE_INTEGRATION_USER_ID: sf.integrationUserId,
      SALESFORCE_INSTANCE_URL: this.url,
      SALESFORCE_LOGIN_URL: this.url,
      SALESFORCE_ACCESS_TOKEN: sf.accessToken,
      SALESFORCE_REFRESH_TOKEN: this.salesforce.refreshToken,
      SALESFORCE_CLIENT_ID: this.salesforce.client.id,
      SALESFORCE_CLIENT_SECRET: this.salesforce.client.secret,
      EVENTS_SIGNING_SECRET: secrets.eventsSigningSecret,
    };
  }

  get totalCalls(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  /**
   * Another HubSpot portal on the same sandbox (the same OAuth app installed on several accounts):
   * its own contacts, tokens, rate limit and storm. Its static token is `pat-sandbox-<portalId>`.
   */
  addHubSpotPortal(portalId: string): HubSpotFace {
    const existing = this.hubspotPortals.get(portalId);
    if (existing) return existing;
    const face = new HubSpotFace(portalId, `pat-sandbox-${portalId}`);
    this.hubspotPortals.set(portalId, face);
    if (this.leadstageUrl) this.connectHubSpot(face);
    return face;
  }

  private connectHubSpot(face: HubSpotFace): void {
    const hs = this.opts.hubspot;
    const sender = new HubSpotWebhookSender({
      url: `${this.leadstageUrl}/webhooks/hubspot`,
      clientSecret: hs.clientSecret,
      portalId: face.portalId,
      appId: hs.appId,
    });
    this.hubspotSenders.set(face.portalId, sender);
    face.onChange = (changes) => sender.enqueue(changes);
  }

  /** The portal a HubSpot request is for: by its token, or (OAuth) the code or refresh token it redeems. */
  private hubspotFaceFor(path: string, headers: IncomingMessage['headers'], raw: string): HubSpotFace {
    const faces = [...this.hubspotPortals.values()];
    if (path === '/oauth/authorize') return this.hubspotPortals.get(this.hubspotConsentPortal) ?? this.hubspot;
    if (path.startsWith('/oauth/')) {
      const form = new URLSearchParams(raw);
      const code = form.get('code') ?? '';
      const refresh = form.get('refresh_token') ?? '';
      return (
        faces.find((f) => (code && f.codeFlow.has(code)) || (refresh && f.hasRefreshToken(refresh))) ?? this.hubspot
      );
    }
    const token = String(headers['authorization'] ?? '').replace(/^Bearer /, '');
    return faces.find((f) => f.tokens.has(token)) ?? this.hubspot;
  }

  /** Where to send webhooks: leadstage's base URL and its Salesforce token. */
  connect(leadstageUrl: string, salesforceToken: string): void {
    this.leadstageUrl = leadstageUrl;
    for (const face of this.hubspotPortals.values()) this.connectHubSpot(face);
    this.hubspotWebhooks = this.hubspotSenders.get(this.hubspot.portalId);
    this.salesforceOutbound = new SalesforceOutboundSender({
      url: `${leadstageUrl}/webhooks/salesforce?token=${encodeURIComponent(salesforceToken)}`,
      orgId: this.opts.salesforce.orgId,
    });
    this.salesforce.onChange = (type, ids) => {
      const table = this.salesforce.records[type];
      // API writes come from leadstage's integration user: their messages are echoes leadstage skips.
      this.salesforceOutbound!.send(
        type,
        ids.map((id) => ({ ...table.get(id)!, LastModifiedById: this.opts.salesforce.integrationUserId })),
      );
    };
  }

  /** A change made in Salesforce by a person: applied, and sent as an outbound message. */
  salesforceEdit(type: 'Lead' | 'Contact' | 'Task', id: string, fields: Record<string, unknown>): void {
    const table = this.salesforce.records[type];
    const record = table.get(id) ?? { Id: id };
    const now = new Date().toISOString();
    Object.assign(record, fields, { LastModifiedDate: now, SystemModstamp: now });
    table.set(id, record as never);
    this.salesforceOutbound?.send(type, [{ ...record, LastModifiedById: '005000000000001AAA' }]);
  }

  /** All webhooks sent and answered (or given up on). */
  async webhooksIdle(): Promise<void> {
    await Promise.all([...[...this.hubspotSenders.values()].map((s) => s.idle()), this.salesforceOutbound?.idle()]);
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await this.webhooksIdle().catch(() => undefined);
    this.server?.closeAllConnections();
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const route = `${req.method} ${url.pathname.replace(/\/$/, '')}`;
    this.calls.set(route, (this.calls.get(route) ?? 0) + 1);
    this.callTimes.push(Date.now());
    const isHubSpot =
      url.pathname.startsWith('/crm/') ||
      url.pathname.startsWith('/account-info/') ||
      url.pathname.startsWith('/oauth/');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };

    const face = isHubSpot ? this.hubspotFaceFor(url.pathname, req.headers, raw) : this.hubspot;
    const delay = [...this.delays.entries()].find(([p]) => route.includes(p))?.[1];
    if (delay) await new Promise((r) => setTimeout(r, delay));
    if (!/^\/(services\/oauth2|oauth)\//.test(url.pathname)) {
      const f = this.faults;
      if (f.latencyMs) await new Promise((r) => setTimeout(r, f.latencyMs));
      if (f.timeoutRate && this.dice() < f.timeoutRate) {
        this.injected.timeouts += 1;
        return; // never answers; the client gives up
      }
      if (isHubSpot && ((f.stormUntil && Date.now() < f.stormUntil) || Date.now() < face.stormUntil)) {
        this.injected.storm += 1;
        return send(
          429,
          {
            status: 'error',
            message: 'You have reached your ten_secondly_rolling limit.',
            errorType: 'RATE_LIMIT',
            policyName: 'TEN_SECONDLY_ROLLING',
          },
          {
            'X-HubSpot-RateLimit-Max': '110',
            'X-HubSpot-RateLimit-Remaining': '0',
            'X-HubSpot-RateLimit-Interval-Milliseconds': '1000',
          },
        );
      }
      if (f.errorRate && this.dice() < f.errorRate) {
        this.injected.errors += 1;
        return isHubSpot
          ? send(502, { status: 'error', message: 'Bad Gateway', category: 'INTERNAL_ERROR' })
          : send(503, [{ errorCode: 'SERVER_UNAVAILABLE', message: 'Service temporarily unavailable' }]);
      }
    }
    const headers = req.headers;
    if (isHubSpot) {
      const body = raw && String(headers['content-type'] ?? '').includes('json') ? JSON.parse(raw) : raw || undefined;
      const reply = face.handle(req.method!, url.pathname, url.searchParams, headers, body);
      if (
        route.startsWith('POST /crm/v3/objects/tasks') &&
        !route.endsWith('/search') &&
        (this.faults.lostTaskCreates ?? 0) > 0 &&
        reply.status < 300
      ) {
        this.faults.lostTaskCreates! -= 1;
        this.injected.errors += 1;
        return send(502, { status: 'error', message: 'Bad Gateway', category: 'INTERNAL_ERROR' });
      }
      return send(reply.status, reply.body, reply.headers);
    }
    const body = raw && String(headers['content-type'] ?? '').includes('json') ? JSON.parse(raw) : raw;
    const reply = this.salesforce.handle(req.method!, url.pathname, url.searchParams, headers, body, this.url);
    if (url.pathname.startsWith('/services/data/')) this.salesforce.apiUsage.used += 1;
    return send(reply.status, reply.body, {
      ...reply.headers,
      ...(url.pathname.startsWith('/services/data/') ? this.salesforce.limitInfo() : {}),
    });
  }
}
