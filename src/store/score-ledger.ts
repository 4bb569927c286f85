import type { Redis } from 'ioredis';
import { Keys } from '../platform/keys.ts';
import type { Tenant } from '../platform/tenant.ts';

/** One change leadstage wrote to a contact: what it showed before and after, and why. */
export interface LedgerEntry {
  /** ISO time of the write. */
  at: string;
  /** What caused the recompute: an event (webhook, sweep, rescore) or decay alone. */
  cause: 'event' | 'decay';
  score: { from: number | null; to: number };
  stage: { from: string | null; to: string | null };
  /** The top reasons ("rule-id +points"), highest first. */
  reasons: string[];
  /** The stage decision in words, when the stage moved. */
  stageReason?: string;
  /** The config version (hash) the plan came from. */
  configVersion?: string;
}

/**
 * The score ledger: per contact, its last `max` changes, newest first — one Redis list per contact,
 * pushed and trimmed in one pipeline after the CRM accepted the write, expiring with the contact's
 * other state. `leadstage explain` shows it, so an admin can say why a score moved and when.
 */
export class ScoreLedger {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly max: number;
  private readonly ttlS: number;

  constructor(redis: Redis, keys: Keys, opts: { max?: number; ttlDays?: number } = {}) {
    this.redis = redis;
    this.keys = keys;
    this.max = opts.max ?? 20;
    this.ttlS = (opts.ttlDays ?? 400) * 86_400;
  }

  async append(tenant: Tenant, entries: readonly { id: string; entry: LedgerEntry }[]): Promise<void> {
    if (entries.length === 0) return;
    const p = this.redis.pipeline();
    for (const { id, entry } of entries) {
      const key = this.keys.scoreLedger(tenant, id);
      p.lpush(key, JSON.stringify(entry))
        .ltrim(key, 0, this.max - 1)
        .expire(key, this.ttlS);
    }
    await p.exec();
  }

  /** The contact's last changes, newest first. */
  async history(tenant: Tenant, id: string): Promise<LedgerEntry[]> {
    return (await this.redis.lrange(this.keys.scoreLedger(tenant, id), 0, this.max - 1)).map(
      (s) => JSON.parse(s) as LedgerEntry,
    );
  }
}
