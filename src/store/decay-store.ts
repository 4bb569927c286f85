import type { Redis } from 'ioredis';
import type { ContactSnapshot } from '../core/types.ts';
import { Keys } from '../platform/keys.ts';
import { tenantKey, type Tenant } from '../platform/tenant.ts';
import { pendingMember } from './activity-store.ts';

/** A contact's state after a recompute: what the CRM now shows, and when decay next changes it. */
export interface AfterPlan {
  snapshot: ContactSnapshot;
  /** Epoch ms, or null: time alone changes nothing (unscheduled). */
  nextChangeAt: number | null;
}

/**
 * Time-driven decay without a timer per contact: one sorted set per tenant (contact → the
 * instant its visible values next change) and the contact's last known state, so a decay pass
 * replans from Redis and writes only what changed — no read from the CRM.
 */
export class DecayStore {
  private readonly redis: Redis;
  private readonly keys: Keys;
  /** Snapshots outlive a schedule entry by this much (a contact untouched this long is re-read). */
  private readonly snapshotTtlS: number;

  constructor(redis: Redis, keys: Keys, opts: { snapshotTtlDays?: number } = {}) {
    this.redis = redis;
    this.keys = keys;
    this.snapshotTtlS = (opts.snapshotTtlDays ?? 400) * 86_400;
  }

  async record(tenant: Tenant, entries: readonly AfterPlan[]): Promise<void> {
    if (entries.length === 0) return;
    const p = this.redis.pipeline();
    if (entries.some((e) => e.nextChangeAt !== null)) p.sadd(this.keys.decayTenants(), tenantKey(tenant));
    for (const e of entries) {
      const member = pendingMember(e.snapshot);
      p.set(this.keys.snapshot(tenant, e.snapshot.id), JSON.stringify(e.snapshot), 'EX', this.snapshotTtlS);
      if (e.nextChangeAt === null) p.zrem(this.keys.decaySchedule(tenant), member);
      else p.zadd(this.keys.decaySchedule(tenant), e.nextChangeAt, member);
    }
    await p.exec();
  }

  /** Up to `n` contacts whose decay is due at `nowMs`, earliest first. */
  async due(tenant: Tenant, nowMs: number, n: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.decaySchedule(tenant), '-inf', nowMs, 'LIMIT', 0, n);
  }

  async snapshots(tenant: Tenant, ids: readonly string[]): Promise<Map<string, ContactSnapshot>> {
    if (ids.length === 0) return new Map();
    const raw = await this.redis.mget(...ids.map((id) => this.keys.snapshot(tenant, id)));
    return new Map(ids.flatMap((id, i) => (raw[i] ? [[id, JSON.parse(raw[i]!) as ContactSnapshot] as const] : [])));
  }

  /** Drop contacts from the schedule (gone, or handed to a full recompute). */
  async unschedule(tenant: Tenant, members: readonly string[]): Promise<void> {
    if (members.length) await this.redis.zrem(this.keys.decaySchedule(tenant), ...members);
  }

  /** Every tenant with a decay schedule (an index set: no SCAN of the keyspace). */
  async tenants(): Promise<Tenant[]> {
    return (await this.redis.smembers(this.keys.decayTenants())).map((m) => Keys.tenantOf(m));
  }
}
