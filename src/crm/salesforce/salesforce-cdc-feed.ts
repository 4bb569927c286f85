import { randomUUID } from 'node:crypto';
import type { ChangeFeed } from '../../platform/crm-module.ts';
import type { Logger } from '../../platform/logger.ts';
import type { TenantRecord } from '../../platform/tenant-directory.ts';
import { tenantKey, type Tenant } from '../../platform/tenant.ts';
import type { CdcStore } from '../../store/cdc-store.ts';
import type { CdcSubscription } from './salesforce-cdc.ts';

export interface CdcFeedOptions {
  store: CdcStore;
  /** The Salesforce orgs served now. */
  tenants: () => Promise<TenantRecord[]>;
  /** A subscription for an org whose lease this worker just took (`lost`: call when it finds the lease gone). */
  subscribe: (record: TenantRecord, lease: string, lost: () => void) => CdcSubscription;
  /** Checked before the first round: the Pub/Sub client library loads. */
  ready: () => Promise<unknown>;
  log: Logger;
  /** How long a lease lives without renewal (default 30 s); renewed every third of it. */
  leaseMs?: number;
}

interface Held {
  tenant: Tenant;
  token: string;
  sub: CdcSubscription;
  /** Epoch ms of the last renewal that Redis confirmed. */
  renewedAt: number;
}

/**
 * Change Data Capture for every served org, one subscription per org across all worker
 * processes: each round, a worker renews the leases it holds (letting go of orgs no longer
 * served, or whose lease it lost) and tries to take the lease of every other org (SET NX PX).
 * A worker that dies stops renewing; its leases lapse and another worker's next round takes the
 * orgs over, resuming from their stored replay ids.
 */
export class SalesforceCdcFeed implements ChangeFeed {
  private readonly opts: CdcFeedOptions;
  private readonly leaseMs: number;
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(opts: CdcFeedOptions) {
    this.opts = opts;
    this.leaseMs = opts.leaseMs ?? 30_000;
  }

  async start(): Promise<void> {
    await this.opts.ready();
    this.tick();
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.floor(this.leaseMs / 3)));
  }

  /** Orgs whose subscription this worker holds (for health and tests). */
  holding(): Tenant[] {
    return [...this.held.values()].map((h) => h.tenant);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
    await Promise.all([...this.held.keys()].map((k) => this.drop(k, true)));
  }

  private tick(): void {
    // One round at a time: a slow Redis must not stack rounds that race for the same leases.
    this.round = this.round
      .then(() => this.renewAndTake())
      .catch((err: Error) => this.opts.log.warn({ err: err.message }, 'salesforce CDC lease round failed'));
  }

  private async renewAndTake(): Promise<void> {
    if (this.stopped) return;
    const { store, log } = this.opts;
    // Unknown (the directory is unreachable): keep renewing what we hold, take nothing new.
    const served = await this.opts.tenants().catch((err: Error) => {
      log.warn({ err: err.message }, 'salesforce CDC: could not list the served orgs');
      return null;
    });
    const servedKeys = new Set((served ?? []).map((r) => tenantKey(r.tenant)));
    for (const [key, h] of [...this.held]) {
      if (served && !servedKeys.has(key)) {
        log.info({ org: h.tenant.id }, 'salesforce CDC: org no longer served, subscription closed');
        await this.drop(key, true);
        continue;
      }
      const renewed = await store.renewLease(h.tenant, h.token, this.leaseMs).catch(() => null);
      if (renewed) {
        h.renewedAt = Date.now();
      } else if (renewed === false || Date.now() - h.renewedAt > this.leaseMs) {
        // Lost, or unconfirmed for a whole lease (Redis unreachable): another worker may hold it now.
        log.warn({ org: h.tenant.id }, 'salesforce CDC lease lost: this worker lets the org go');
        await this.drop(key, false);
      }
    }
    for (const record of served ?? []) {
      const key = tenantKey(record.tenant);
      if (this.stopped || this.held.has(key)) continue;
      const token = randomUUID();
      if (!(await store.acquireLease(record.tenant, token, this.leaseMs))) continue;
      const sub = this.opts.subscribe(record, token, () => void this.drop(key, false));
      this.held.set(key, { tenant: record.tenant, token, sub, renewedAt: Date.now() });
      log.info({ org: record.tenant.id }, 'salesforce CDC lease taken');
      sub.start();
    }
  }

  private async drop(key: string, release: boolean): Promise<void> {
    const h = this.held.get(key);
    if (!h) return;
    this.held.delete(key);
    await h.sub.stop();
    if (release) await this.opts.store.releaseLease(h.tenant, h.token).catch(() => undefined);
  }
}
