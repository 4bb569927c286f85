import type { Redis } from 'ioredis';
import type { Keys } from '../platform/keys.ts';
import type { Tenant } from '../platform/tenant.ts';

/** A rescore's checkpoint as stored: where to go on, and the counts before it. */
export interface StoredRescoreCheckpoint {
  cursor: string;
  read: number;
  changed: number;
}

/** Checkpoints outlive a crash for a week; a rescore left longer than that starts over. */
const TTL_S = 7 * 86_400;

/** Per tenant, the last finished page of a rescore (one JSON value; ids and counts only). */
export class RescoreCheckpointStore {
  private readonly redis: Redis;
  private readonly keys: Keys;
  constructor(redis: Redis, keys: Keys) {
    this.redis = redis;
    this.keys = keys;
  }

  async get(tenant: Tenant): Promise<StoredRescoreCheckpoint | null> {
    const raw = await this.redis.get(this.keys.rescoreCursor(tenant));
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<StoredRescoreCheckpoint>;
    return typeof v.cursor === 'string'
      ? { cursor: v.cursor, read: Number(v.read) || 0, changed: Number(v.changed) || 0 }
      : null;
  }

  async set(tenant: Tenant, checkpoint: StoredRescoreCheckpoint): Promise<void> {
    await this.redis.set(this.keys.rescoreCursor(tenant), JSON.stringify(checkpoint), 'EX', TTL_S);
  }

  async clear(tenant: Tenant): Promise<void> {
    await this.redis.del(this.keys.rescoreCursor(tenant));
  }
}
