import type { Redis } from 'ioredis';
import type { Keys } from '../platform/keys.ts';
import type { Tenant } from '../platform/tenant.ts';

/** A record the CRM refused for good (or a job that failed for good), kept for the operator. */
export interface DeadLetter {
  /** What failed: a contact's write, the follow-up task that gates it, or a job (its last attempt spent). */
  kind: 'contact' | 'task' | 'job';
  objectType: string;
  id: string;
  /** The CRM's code and message; never a field value. */
  reason: string;
  firstSeenAt: string;
  lastSeenAt: string;
  count: number;
}

export type NewDeadLetter = Pick<DeadLetter, 'kind' | 'objectType' | 'id' | 'reason'>;

const field = (d: Pick<DeadLetter, 'objectType' | 'id'>) => `${d.objectType}:${d.id}`;

/**
 * The per-tenant dead-letter list: one entry per record (the latest reason, first and last
 * seen, how often). Retrying one marks its contact pending again and removes the entry.
 */
export class DeadLetterStore {
  private readonly redis: Redis;
  private readonly keys: Keys;

  constructor(redis: Redis, keys: Keys) {
    this.redis = redis;
    this.keys = keys;
  }

  async add(tenant: Tenant, letters: readonly NewDeadLetter[], now: Date): Promise<void> {
    if (letters.length === 0) return;
    const key = this.keys.deadLetters(tenant);
    const old = await this.redis.hmget(key, ...letters.map(field));
    const at = now.toISOString();
    const entries = letters.flatMap((l, i) => {
      const prev = old[i] ? (JSON.parse(old[i]!) as DeadLetter) : null;
      const entry: DeadLetter = {
        ...l,
        firstSeenAt: prev?.firstSeenAt ?? at,
        lastSeenAt: at,
        count: (prev?.count ?? 0) + 1,
      };
      return [field(l), JSON.stringify(entry)];
    });
    await this.redis.hset(key, ...entries);
  }

  async list(tenant: Tenant): Promise<DeadLetter[]> {
    const all = await this.redis.hvals(this.keys.deadLetters(tenant));
    return all.map((v) => JSON.parse(v) as DeadLetter).sort((a, b) => a.lastSeenAt.localeCompare(b.lastSeenAt));
  }

  /** Remove entries (after a retry or a discard); returns how many existed. */
  async remove(tenant: Tenant, refs: readonly Pick<DeadLetter, 'objectType' | 'id'>[]): Promise<number> {
    if (refs.length === 0) return 0;
    return this.redis.hdel(this.keys.deadLetters(tenant), ...refs.map(field));
  }
}
