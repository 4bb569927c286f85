import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from '../platform/lua-script.ts';
import type { Keys } from '../platform/keys.ts';
import type { Tenant } from '../platform/tenant.ts';
import { CrmRateLimitedError } from '../platform/crm-errors.ts';

// Sliding log: one member per request in the window. KEYS: log, pause, learned limit, live-waiting.
// ARGV: now, window, max, id, margin, low (1: low priority), low share. A limit the CRM announced
// (learned from its headers) wins over the defaults. Returns 0 when the call may go now, else how
// many ms to wait. Low-priority calls (a rescore) take slots only below `low share` of the window
// and never while a live call waits: a live call that has to wait marks the tenant until its slot
// comes, so the free slot goes to it, not to the background work that polls for it.
const ACQUIRE = new LuaScript(
  'lsAcquireQuota',
  `
local now, window, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local low = ARGV[6] == '1'
local learned = redis.call('HMGET', KEYS[3], 'max', 'windowMs')
if learned[1] and learned[2] then max = tonumber(learned[1]); window = tonumber(learned[2]) + tonumber(ARGV[5]) end
local pausedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if pausedUntil > now then return pausedUntil - now end
if low then
  local waiting = redis.call('PTTL', KEYS[4])
  if waiting > 0 then return waiting end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local cap = max
if low then cap = math.max(1, math.floor(max * tonumber(ARGV[7]))) end
local used = redis.call('ZCARD', KEYS[1])
if used < cap then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  if not low then redis.call('DEL', KEYS[4]) end
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], used - cap, used - cap, 'WITHSCORES')
local wait = math.max(1, tonumber(oldest[2]) + window - now)
if not low then redis.call('SET', KEYS[4], '1', 'PX', wait + tonumber(ARGV[5])) end
return wait`,
);

/** Share of the rate window low-priority calls (a rescore) may fill unless told otherwise. */
export const LOW_PRIORITY_SHARE = 0.8;

/** The limit the CRM announced for this tenant (see `TenantRateLimiter.learn`), or null: read-only. */
export async function learnedLimit(
  redis: Redis,
  keys: Keys,
  t: Tenant,
): Promise<{ max: number; windowMs: number } | null> {
  const [max, windowMs] = (await redis.hmget(keys.quotaLimit(t), 'max', 'windowMs')).map(Number);
  return max! > 0 && windowMs! > 0 ? { max: max!, windowMs: windowMs! } : null;
}

export interface QuotaOptions {
  /** Requests allowed per window per tenant (HubSpot public apps: 110 per 10 s). */
  max: number;
  windowMs: number;
  /** Waits up to this long in-process; longer waits become CrmRateLimitedError (the job is delayed). */
  maxInlineWaitMs: number;
  /**
   * Added to the window: we log a call when we send it, the CRM when it arrives, a little later;
   * without a margin the first call of each refill would meet a 429 (default 250 ms).
   */
  marginMs?: number;
  /**
   * `low`: non-urgent work (a rescore). It yields to live work: it never takes a slot while a live
   * call of the tenant waits, and uses at most `lowShare` of the window, so live bursts find
   * slots at once. Default `live`.
   */
  priority?: 'live' | 'low';
  /** Share of the window low-priority calls may fill (default 0.8): the rest stays free for live bursts. */
  lowShare?: number;
}

/**
 * One quota per portal/org, shared by every worker through Redis. Call `acquire` before each CRM
 * request. A 429 (or rate-limit headers that say the window is spent) pauses the tenant for all.
 */
export class TenantRateLimiter {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly opts: QuotaOptions;
  private readonly clock: () => number;

  constructor(redis: Redis, keys: Keys, opts: QuotaOptions, clock: () => number = Date.now) {
    this.redis = redis;
    this.keys = keys;
    this.opts = opts;
    this.clock = clock;
    ACQUIRE.register(redis);
  }

  /**
   * Take a slot of the tenant's window, waiting in-process up to maxInlineWaitMs. `limit`: this
   * tenant's default (by app type and tier), used until the CRM announces its own.
   */
  async acquire(t: Tenant, limit: { max: number; windowMs: number } = this.opts): Promise<void> {
    const margin = this.opts.marginMs ?? 250;
    for (;;) {
      const window = limit.windowMs + margin;
      const keys = [
        this.keys.quota(t),
        this.keys.quotaPause(t),
        this.keys.quotaLimit(t),
        this.keys.quotaLiveWaiting(t),
      ];
      const low = this.opts.priority === 'low' ? 1 : 0;
      const wait = Number(
        await ACQUIRE.run(this.redis, keys, [
          this.clock(),
          window,
          limit.max,
          randomUUID(),
          margin,
          low,
          this.opts.lowShare ?? LOW_PRIORITY_SHARE,
        ]),
      );
      if (wait === 0) return;
      if (wait > this.opts.maxInlineWaitMs) throw new CrmRateLimitedError(wait);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /**
   * The CRM told us the tenant's real limit (HubSpot's X-HubSpot-RateLimit-Max and
   * -Interval-Milliseconds): every worker uses it from now on. Kept a day, re-learned on change.
   */
  async learn(t: Tenant, max: number, windowMs: number): Promise<void> {
    if (!(max > 0 && windowMs > 0)) return;
    await this.redis
      .multi()
      .hset(this.keys.quotaLimit(t), 'max', String(max), 'windowMs', String(windowMs))
      .expire(this.keys.quotaLimit(t), 86_400)
      .exec();
  }

  /** The CRM's report of the tenant's daily API usage (Salesforce's Sforce-Limit-Info). */
  async recordUsage(t: Tenant, used: number, limit: number): Promise<void> {
    if (!(limit > 0)) return;
    await this.redis.set(this.keys.quotaUsage(t), `${used}/${limit}`, 'EX', 86_400);
  }

  /** Share of the daily quota used, as last reported (null: never reported). */
  async usageShare(t: Tenant): Promise<number | null> {
    const v = await this.redis.get(this.keys.quotaUsage(t));
    const [used, limit] = (v ?? '').split('/').map(Number);
    return v && limit ? used! / limit : null;
  }

  /** Stop every worker from calling this tenant for `ms` (after a 429, or an exhausted window). */
  async pause(t: Tenant, ms: number): Promise<void> {
    await this.redis.set(this.keys.quotaPause(t), String(this.clock() + ms), 'PX', ms);
  }
}
