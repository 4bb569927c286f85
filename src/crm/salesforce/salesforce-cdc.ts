import type { DecodedEvent, PubSubClient, PubSubStream } from './pubsub-client.ts';
import type { ChangeFeedDeps } from '../../platform/crm-module.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Tenant } from '../../platform/tenant.ts';
import type { StoredReplay } from '../../store/cdc-store.ts';
import { mapChangeEvent, type EchoRules } from './salesforce-cdc-mapping.ts';

/** Salesforce keeps change events 72 hours; a position older than that cannot be replayed. */
export const CDC_RETENTION_MS = 72 * 3_600_000;
const UNAUTHENTICATED = 16;
/** Events asked for at a time; more are asked for once half of them are durable. */
const BATCH = 100;

export type PubSubClientClass = typeof PubSubClient;

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
  private client: PubSubClient | null = null;
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
      // nothing left to close
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.generation;
    const { tenant, log } = this.opts;
    try {
      await this.tail; // the previous client's last event saves its position before we read them
      const [session, stored, Client] = await Promise.all([
        this.opts.session(),
        this.opts.replays(),
        this.opts.loadClient(),
      ]);
      if (gen !== this.generation) return;
      this.usedToken = session.accessToken;
      const client = new Client({
        endpoint: this.opts.endpoint,
        accessToken: session.accessToken,
        instanceUrl: session.instanceUrl,
        orgId: tenant.id,
        ...(this.opts.rejectUnauthorizedSsl === false ? { rejectUnauthorizedSsl: false } : {}),
      });
      this.client = client;
      for (const channel of this.opts.channels)
        this.subscribe(gen, client, channel, this.startAfter(channel, stored.get(channel)));
      log.info({ org: tenant.id, channels: this.opts.channels.length }, 'salesforce CDC subscribed');
    } catch (err) {
      this.fail(gen, err);
    }
  }

  /**
   * One channel's stream. Flow control is ours: more events are asked for only once half of the
   * last request is durable, and a keepalive's position is trusted only when the server had room
   * to send events as it sent it (so "nothing to deliver" really means nothing).
   */
  private subscribe(gen: number, client: PubSubClient, channel: string, after: bigint | null): void {
    let done = 0;
    const stream: PubSubStream = client.subscribe(channel, after, BATCH, {
      events: (events: DecodedEvent[]) => {
        if (gen !== this.generation) return;
        for (const e of events) this.enqueue(gen, () => this.handle(channel, e));
        this.enqueue(gen, async () => {
          done += events.length;
          if (done >= BATCH / 2) {
            stream.request(done);
            done = 0;
          }
        });
      },
      keepalive: (latest: bigint, pending: number) => {
        // The server's own count as it sent the keepalive, not ours: a keepalive it sent with every
        // requested event delivered, before our next request reached it, names a tip beyond events
        // it still holds back; saving that would skip them after a restart.
        if (gen !== this.generation || pending <= 0 || latest === 0n) return;
        // Everything up to the tip has reached us: saving it (after the queue drains) keeps a quiet
        // org's position inside the retention window.
        this.enqueue(gen, () => this.save(channel, String(latest), this.opts.now()));
      },
      failed: (err) => this.onError(gen, channel, err),
    });
  }

  /** The replay id to resume after, or null for LATEST. */
  private startAfter(channel: string, stored: StoredReplay | undefined): bigint | null {
    const { tenant, log } = this.opts;
    if (this.atLatest.delete(channel) || !stored) return null;
    if (this.opts.now() - stored.at > CDC_RETENTION_MS) {
      this.opts.metrics?.cdcGaps.inc({ reason: 'replay_expired' });
      log.warn(
        { org: tenant.id, channel, storedAt: new Date(stored.at).toISOString() },
        'salesforce CDC position is older than the 72 h retention: starting at LATEST; the reconciliation sweep covers the gap',
      );
      return null;
    }
    return BigInt(stored.replayId);
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

  private async handle(channel: string, event: DecodedEvent): Promise<void> {
    const { tenant, log, metrics } = this.opts;
    const header = event.header;
    const replayId = String(event.replayId);
    metrics?.received.inc({ source: 'salesforce-cdc' });
    const mapped = header ? mapChangeEvent(tenant, header, replayId, this.opts.echo()) : null;
    if (!mapped || mapped.kind === 'overflow' || (mapped.kind === 'ignored' && mapped.reason === 'no_ids')) {
      const reason = !mapped ? 'unreadable_event' : mapped.kind === 'overflow' ? 'overflow' : 'no_ids';
      metrics?.cdcGaps.inc({ reason });
      log.warn(
        { org: tenant.id, channel, replayId, reason, changeType: header?.changeType },
        'salesforce CDC event names no record leadstage can mark: the reconciliation sweep covers it',
      );
    } else if (mapped.kind === 'ignored') {
      metrics?.ignored.inc({ source: 'salesforce-cdc' });
    } else {
      if (mapped.badIds.length)
        log.warn(
          { org: tenant.id, channel, replayId, skipped: mapped.badIds.length },
          'salesforce CDC record ids skipped (not a Lead/Contact id)',
        );
      const r = await this.opts.ingest(mapped.ops);
      // Another delivery is queueing the same ops right now: only a replay is sure to keep them.
      if (r.busy > 0) throw new Error('some events are being queued by a concurrent delivery');
      metrics?.accepted.inc({ source: 'salesforce-cdc' }, r.accepted);
      if (r.duplicates) metrics?.duplicates.inc({ source: 'salesforce-cdc' }, r.duplicates);
    }
    await this.save(channel, replayId, header?.commitTimestamp ?? this.opts.now());
  }

  private async save(channel: string, replayId: string, at: number): Promise<void> {
    if (!(await this.opts.saveReplay(channel, { replayId, at })))
      throw new LeaseLostError("the org's CDC lease is held by another worker");
  }

  private onError(gen: number, channel: string, data: unknown): void {
    const { tenant, log, metrics } = this.opts;
    const err = (data ?? {}) as GrpcError;
    const code = String(err.metadata?.get('error-code')?.[0] ?? '');
    if (code.includes('.replayid.')) {
      // Usually a position older than the 72 h retention (docs: "Retry Long-Lived RPC Calls").
      metrics?.cdcGaps.inc({ reason: 'replay_rejected' });
      log.warn(
        { org: tenant.id, channel, errorCode: code },
        'salesforce CDC refused the stored replay id: restarting the channel at LATEST; the reconciliation sweep covers the gap',
      );
      this.atLatest.add(channel);
      this.enqueue(gen, () => this.opts.saveReplay(channel, null).then(() => undefined));
      this.enqueue(gen, async () => this.fail(gen, new Error('replay id refused'), 0));
      return;
    }
    if (err.code === UNAUTHENTICATED || code.endsWith('.auth.error')) {
      const used = this.usedToken;
      this.fail(gen, new Error(`authentication refused (${code || 'UNAUTHENTICATED'})`), undefined, () =>
        this.opts.refreshSession(used),
      );
      return;
    }
    this.fail(
      gen,
      new Error(
        `${channel}: ${typeof err.code === 'number' ? `gRPC status ${err.code} ${code}`.trim() : (data as Error)?.message}`,
      ),
    );
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
    log.warn(
      { org: tenant.id, err: (err as Error)?.message, retryInMs: wait },
      'salesforce CDC subscription interrupted',
    );
    this.timer = setTimeout(() => {
      void (async () => {
        await before?.().catch((e: Error) =>
          log.warn({ org: tenant.id, err: e.message }, 'salesforce access token refresh failed'),
        );
        await this.connect();
      })();
    }, wait);
  }
}
