import type { Redis } from 'ioredis';
import { Keys } from '../platform/keys.ts';

/**
 * Short-notice absences (`leadstage owners away <key> --until …`): one hash for the deployment,
 * owner key → until (epoch ms), read by every recompute batch. Past entries are dropped on read.
 */
export class OwnerAwayStore {
  private readonly redis: Redis;
  private readonly keys: Keys;

  constructor(redis: Redis, keys: Keys) {
    this.redis = redis;
    this.keys = keys;
  }

  async markAway(ownerKey: string, untilMs: number): Promise<void> {
    await this.redis.hset(this.keys.ownersAway(), ownerKey, String(untilMs));
  }

  async markBack(ownerKey: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.ownersAway(), ownerKey)) > 0;
  }

  /** Owners away after `nowMs`, without dropping past entries (read-only commands). */
  async peek(nowMs: number): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(this.keys.ownersAway());
    return new Map(
      Object.entries(all)
        .map(([k, v]) => [k, Number(v)] as const)
        .filter(([, until]) => until > nowMs),
    );
  }

  /** Owners away after `nowMs`: owner key → until. */
  async away(nowMs: number): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(this.keys.ownersAway());
    const out = new Map<string, number>();
    const past: string[] = [];
    for (const [key, until] of Object.entries(all)) {
      if (Number(until) > nowMs) out.set(key, Number(until));
      else past.push(key);
    }
    if (past.length) await this.redis.hdel(this.keys.ownersAway(), ...past);
    return out;
  }
}
