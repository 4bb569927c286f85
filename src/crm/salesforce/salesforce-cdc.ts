import type PubSubApiClient from 'salesforce-pubsub-api-client';
import type { ChangeFeedDeps } from '../../platform/crm-module.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Tenant } from '../../platform/tenant.ts';
import type { StoredReplay } from '../../store/cdc-store.ts';
import { mapChangeEvent, type ChangeEventHeader, type EchoRules } from './salesforce-cdc-mapping.ts';

/** Salesforce keeps change events 72 hours; a position older than that cannot be replayed. */
export const CDC_RETENTION_MS = 72 * 3_600_000;
const UNAUTHENTICATED = 16;

export type PubSubClientClass = typeof PubSubApiClient;

/** What the Pub/Sub API needs to accept the org's subscription (user-supplied authentication). */
export interface PubSubSession {
  accessToken: string;
  instanceUrl: string;
}

export interface CdcSubscriptionOptions {
  tenant: Tenant;
  /** Change event channels, e.g. /data/LeadChangeEvent. */
  channels: readonly string[];
  /** Pub/Sub API host:port (TLS). */
  endpoint: string;
  /** The org's current access token and instance URL (the adapter's connection's). */
  session: () => Promise<PubSubSession>;
  /** Refresh the access token, unless it already changed from `used` (someone else refreshed). */
  refreshSession: (used: string) => Promise<void>;
  /** Stored positions per channel; and the write of one, false when our lease is gone. */
  replays: () => Promise<Map<string, StoredReplay>>;
  saveReplay: (channel: string, replay: StoredReplay | null) => Promise<boolean>;
  ingest: ChangeFeedDeps['ingest'];
  echo: () => EchoRules;
  log: Logger;
  metrics?: ChangeFeedDeps['metrics'];
  now: () => number;
  loadClient: () => Promise<PubSubClientClass>;
  /** Called when a replay id could not be saved because another worker holds the org now. */
  onLeaseLost: () => void;
  /** Reconnect delays: doubling from `minMs` up to `maxMs` (defaults 1 s, 60 s). */
  retry?: { minMs: number; maxMs: number };
  /** Tests only: accept the fake server's self-signed certificate. */
  rejectUnauthorizedSsl?: boolean;
}

interface ParsedEvent {
  replayId: number;
  payload?: { ChangeEventHeader?: ChangeEventHeader };
}
interface GrpcError {
  code?: number;
  details?: string;
  metadata?: { get(key: string): unknown[] };
}

class LeaseLostError extends Error {}

/**
 * One org's Change Data Capture subscription: one Pub/Sub client, one Subscribe stream per
 * channel, resumed after the stored replay id (CUSTOM) or at the tip (LATEST). Events are handled
 * one at a time in arrival order — ingested through the same durable path as webhooks, and only
 * then is the channel's replay id saved — so a crash replays, never skips (at-least-once; the
 * delivery keys drop the repeats). Any failure closes the client and reconnects from the stored
 * positions after a backoff; a position Salesforce no longer has restarts that channel at LATEST,
 * counted and logged: the reconciliation sweep covers the gap.
 */
export class CdcSubscription {
  private readonly opts: CdcSubscriptionOptions;
  private client: PubSubApiClient | null = null;
  /** Bumped by every (re)connect and by stop: callbacks of an older client are ignored. */
  private generation = 0;
  private tail: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private usedToken = '';
  /** Channels whose stored position Salesforce refused: the next connect starts them at LATEST. */
  private readonly atLatest = new Set<string>();

  constructor(opts: CdcSubscriptionOptions) {
    this.opts = opts;
  }

  start(): void {
    void this.connect();
  }

  /** Close the client; the event being ingested finishes (and saves its position) first. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation += 1;
    clearTimeout(this.timer);
    this.close();
    await this.tail;
  }

  private close(): void {
    const c = this.client;
    this.client = null;
    try {
      c?.close();
    } catch {
      // a client that failed half-way through connect has nothing to close
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.generation;
    const { tenant, log } = this.opts;
    try {
      await this.tail; // the previous client's last event saves its position before we read them
      const [session, stored, Client] = await Promise.all([this.opts.session(), this.opts.replays(), this.opts.loadClient()]);
      if (gen !== this.generation) return;
      this.usedToken = session.accessToken;
      const client = new Client({
        authType: 'user-supplied', accessToken: session.accessToken, instanceUrl: session.instanceUrl, organizationId: tenant.id,
        pubSubEndpoint: this.opts.endpoint, ...(this.opts.rejectUnauthorizedSsl === false ? { rejectUnauthorizedSsl: false } : {}),
      }, clientLogger(log, tenant));
      await client.connect();
      if (gen !== this.generation) return void client.close();
      this.client = client;
      for (const channel of this.opts.channels) {
        const from = this.startAfter(channel, stored.get(channel));
        const cb = (info: { lastReplayId: number | null }, type: string, data?: unknown) => this.on(gen, channel, info, type, data);
        if (from === null) client.subscribe(channel, cb, null);
        else client.subscribeFromReplayId(channel, cb, null, from);
      }
      log.info({ org: tenant.id, channels: this.opts.channels.length }, 'salesforce CDC subscribed');
    } catch (err) {
      this.fail(gen, err);
    }
  }

  /** The replay id to resume after, or null for LATEST. */
  private startAfter(channel: string, stored: StoredReplay | undefined): number | null {
    const { tenant, log } = this.opts;
    if (this.atLatest.delete(channel) || !stored) return null;
    if (this.opts.now() - stored.at > CDC_RETENTION_MS) {
      this.opts.metrics?.cdcGaps.inc({ reason: 'replay_expired' });
      log.warn({ org: tenant.id, channel, storedAt: new Date(stored.at).toISOString() }, 'salesforce CDC position is older than the 72 h retention: starting at LATEST; the reconciliation sweep covers the gap');
      return null;
    }
    return Number(stored.replayId);
  }

  private on(gen: number, channel: string, info: { lastReplayId: number | null }, type: string, data: unknown): void {
    if (gen !== this.generation) return;
    switch (type) {
      case 'event':
        return this.enqueue(gen, () => this.handle(channel, data as ParsedEvent));
      case 'grpcKeepalive': {
        // "No events to deliver": everything up to the latest replay id has reached us. Saving it
        // after the queue drains keeps a quiet org's position inside the retention window.
        const id = info.lastReplayId;
        if (id !== null && id !== undefined) this.enqueue(gen, () => this.save(channel, String(id), this.opts.now()));
        return;
      }
      case 'error':
        return this.onError(gen, channel, data);
      case 'end':
        return this.fail(gen, new Error(`the ${channel} stream ended`));
      default:
        return; // grpcStatus comes with error/end; lastEvent never fires for an endless request
    }
  }

  private enqueue(gen: number, work: () => Promise<void>): void {
    this.tail = this.tail.then(async () => {
      if (gen !== this.generation) return;
      try {
        await work();
        this.failures = 0;
      } catch (err) {
        this.fail(gen, err);
      }
    });
  }

  private async handle(channel: string, event: ParsedEvent): Promise<void> {
    const { tenant, log, metrics } = this.opts;
    const header = event.payload?.ChangeEventHeader;
    const replayId = String(event.replayId);
    metrics?.received.inc({ source: 'salesforce-cdc' });
    const mapped = header ? mapChangeEvent(tenant, header, replayId, this.opts.echo()) : ({ kind: 'ignored', reason: 'no_ids' } as const);
    if (mapped.kind === 'overflow' || (mapped.kind === 'ignored' && mapped.reason === 'no_ids')) {
      metrics?.cdcGaps.inc({ reason: mapped.kind === 'overflow' ? 'overflow' : 'no_ids' });
      log.warn({ org: tenant.id, channel, replayId, changeType: header?.changeType }, 'salesforce CDC event names no record: the reconciliation sweep covers it');
    } else if (mapped.kind === 'ignored') {
      metrics?.ignored.inc({ source: 'salesforce-cdc' });
    } else {
      if (mapped.badIds.length) log.warn({ org: tenant.id, channel, replayId, skipped: mapped.badIds.length }, 'salesforce CDC record ids skipped (not a Lead/Contact id)');
      const r = await this.opts.ingest(mapped.ops);
      // Another delivery is queueing the same ops right now: only a replay is sure to keep them.
      if (r.busy > 0) throw new Error('some events are being queued by a concurrent delivery');
      metrics?.accepted.inc({ source: 'salesforce-cdc' }, r.accepted);
      if (r.duplicates) metrics?.duplicates.inc({ source: 'salesforce-cdc' }, r.duplicates);
    }
    await this.save(channel, replayId, header?.commitTimestamp ?? this.opts.now());
  }

  private async save(channel: string, replayId: string, at: number): Promise<void> {
    if (!(await this.opts.saveReplay(channel, { replayId, at }))) throw new LeaseLostError('the org\'s CDC lease is held by another worker');
  }

  private onError(gen: number, channel: string, data: unknown): void {
    const { tenant, log, metrics } = this.opts;
    const err = (data ?? {}) as GrpcError;
    const code = String(err.metadata?.get('error-code')?.[0] ?? '');
    if (typeof err.code !== 'number') {
      // The client could not decode one event (EventParseError): its records are unknown to us.
      metrics?.cdcGaps.inc({ reason: 'unreadable_event' });
      log.warn({ org: tenant.id, channel, err: (data as Error)?.message }, 'salesforce CDC event could not be decoded: skipped; the reconciliation sweep covers it');
      return;
    }
    if (code.includes('.replayid.')) {
      // Usually a position older than the 72 h retention (docs: "Retry Long-Lived RPC Calls").
      metrics?.cdcGaps.inc({ reason: 'replay_rejected' });
      log.warn({ org: tenant.id, channel, errorCode: code }, 'salesforce CDC refused the stored replay id: restarting the channel at LATEST; the reconciliation sweep covers the gap');
      this.atLatest.add(channel);
      this.enqueue(gen, () => this.opts.saveReplay(channel, null).then(() => undefined));
      this.enqueue(gen, async () => this.fail(gen, new Error('replay id refused'), 0));
      return;
    }
    if (err.code === UNAUTHENTICATED || code.endsWith('.auth.error')) {
      const used = this.usedToken;
      this.fail(gen, new Error(`authentication refused (${code || 'UNAUTHENTICATED'})`), undefined, () => this.opts.refreshSession(used));
      return;
    }
    this.fail(gen, new Error(`${channel}: gRPC ${err.code} ${code}`.trim()));
  }

  /** Close this client and connect again after a backoff (`delayMs` overrides it). */
  private fail(gen: number, err: unknown, delayMs?: number, before?: () => Promise<void>): void {
    if (gen !== this.generation || this.stopped) return;
    this.generation += 1; // silence the old client's callbacks at once
    this.close();
    const { tenant, log } = this.opts;
    if (err instanceof LeaseLostError) {
      log.warn({ org: tenant.id }, 'salesforce CDC lease lost: this worker lets the org go');
      this.opts.onLeaseLost();
      return;
    }
    const retry = this.opts.retry ?? { minMs: 1_000, maxMs: 60_000 };
    this.failures += 1;
    const wait = delayMs ?? Math.min(retry.maxMs, retry.minMs * 2 ** (this.failures - 1));
    log.warn({ org: tenant.id, err: (err as Error)?.message, retryInMs: wait }, 'salesforce CDC subscription interrupted');
    this.timer = setTimeout(() => {
      void (async () => {
        await before?.().catch((e: Error) => log.warn({ org: tenant.id, err: e.message }, 'salesforce access token refresh failed'));
        await this.connect();
      })();
    }, wait);
  }
}

/** The client logs raw events at debug level (bodies, names): keep only its warnings and errors, as text. */
function clientLogger(log: Logger, tenant: Tenant) {
  const text = (m: unknown) => (typeof m === 'string' ? m : m instanceof Error ? m.message : 'pubsub client message').slice(0, 300);
  const drop = () => undefined;
  return {
    debug: drop, info: drop,
    warn: (m: unknown) => log.debug({ org: tenant.id, msg: text(m) }, 'pubsub client warning'),
    error: (m: unknown) => log.debug({ org: tenant.id, msg: text(m) }, 'pubsub client error'),
  };
}
