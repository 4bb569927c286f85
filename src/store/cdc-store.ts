import type { Redis } from 'ioredis';
import type { Keys } from '../platform/keys.ts';
import { LuaScript } from '../platform/lua-script.ts';
import type { Tenant } from '../platform/tenant.ts';

/** KEYS[1] lease; ARGV token, ms. Extend the lease only while this token holds it. */
const RENEW = new LuaScript(
  'cdcLeaseRenew',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
);
/** KEYS[1] lease; ARGV token. Give the lease back only if this token holds it. */
const RELEASE = new LuaScript(
  'cdcLeaseRelease',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);
/**
 * KEYS[1] lease, KEYS[2] replay hash; ARGV token, channel, value ("" deletes). A worker that lost
 * its lease (paused, partitioned) must not move the org's position under the new holder.
 */
const SET_REPLAY = new LuaScript(
  'cdcReplaySet',
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[2], ARGV[2]) else redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
return 1`,
);

/** Where a channel's subscription resumes: the replay id and when that position was current. */
export interface StoredReplay {
  replayId: string;
  /** Epoch ms: the event's commit time, or when a keepalive said the stream was at this id. */
  at: number;
}

/**
 * Change Data Capture state per org: the lease that lets one worker process hold the org's
 * subscription (SET NX PX, renewed by its holder, lapsing when the holder dies) and the last
 * replay id per channel, written only by the lease holder after the events up to it are durable.
 */
export class CdcStore {
  private readonly redis: Redis;
  private readonly keys: Keys;

  constructor(redis: Redis, keys: Keys) {
    this.redis = redis;
    this.keys = keys;
    for (const s of [RENEW, RELEASE, SET_REPLAY]) s.register(redis);
  }

  async acquireLease(tenant: Tenant, token: string, ms: number): Promise<boolean> {
    return (await this.redis.set(this.keys.cdcLease(tenant), token, 'PX', ms, 'NX')) === 'OK';
  }

  async renewLease(tenant: Tenant, token: string, ms: number): Promise<boolean> {
    return Number(await RENEW.run(this.redis, [this.keys.cdcLease(tenant)], [token, ms])) === 1;
  }

  async releaseLease(tenant: Tenant, token: string): Promise<void> {
    await RELEASE.run(this.redis, [this.keys.cdcLease(tenant)], [token]);
  }

  async replays(tenant: Tenant): Promise<Map<string, StoredReplay>> {
    const raw = await this.redis.hgetall(this.keys.cdcReplay(tenant));
    const out = new Map<string, StoredReplay>();
    for (const [channel, v] of Object.entries(raw)) {
      const [replayId, at] = v.split('@');
      if (replayId && /^\d+$/.test(replayId) && Number.isFinite(Number(at)))
        out.set(channel, { replayId, at: Number(at) });
    }
    return out;
  }

  /** false: `token` no longer holds the lease, nothing was written. */
  async setReplay(tenant: Tenant, token: string, channel: string, replay: StoredReplay | null): Promise<boolean> {
    const value = replay ? `${replay.replayId}@${replay.at}` : '';
    return (
      Number(
        await SET_REPLAY.run(
          this.redis,
          [this.keys.cdcLease(tenant), this.keys.cdcReplay(tenant)],
          [token, channel, value],
        ),
      ) === 1
    );
  }
}
