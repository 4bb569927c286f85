import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import { LuaScript } from './lua-script.ts';

// Per key: free → claim it ("c"); "done" → duplicate ("d"); claimed by another request → busy ("b").
const CLAIM = new LuaScript('lsClaimDeliveries', `
local out = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if not v then
    redis.call('SET', k, 'p:' .. ARGV[1], 'PX', ARGV[2])
    out[i] = 'c'
  elseif v == 'done' then
    out[i] = 'd'
  else
    out[i] = 'b'
  end
end
return out`);

// Only our own claim is confirmed or released: a claim that expired and was re-claimed by a
// retry belongs to that retry.
const SETTLE = new LuaScript('lsSettleDeliveries', `
local n = 0
for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == 'p:' .. ARGV[1] then
    if ARGV[2] == 'confirm' then redis.call('SET', k, 'done', 'PX', ARGV[3]) else redis.call('DEL', k) end
    n = n + 1
  end
end
return n`);

export type ClaimState = 'claimed' | 'duplicate' | 'busy';

export interface Claim {
  token: string;
  states: Map<string, ClaimState>;
}

/**
 * The dedupe ledger at the door. Claim first, confirm after the enqueue succeeded, release on
 * failure: a crash between claim and confirm leaves a short-lived claim that expires, and the
 * CRM's retry (it got no 2xx) is processed then. Nothing is lost, nothing is queued twice.
 */
export class DeliveryLedger {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly claimTtlMs: number;
  private readonly doneTtlMs: number;

  constructor(redis: Redis, keys: Keys, opts: { claimTtlMs?: number; doneTtlMs?: number } = {}) {
    this.redis = redis;
    this.keys = keys;
    this.claimTtlMs = opts.claimTtlMs ?? 30_000;
    // HubSpot retries for about a day, Salesforce for 24 h, HubSpot workflows for 3 days.
    this.doneTtlMs = opts.doneTtlMs ?? 4 * 86_400_000;
    CLAIM.register(redis);
    SETTLE.register(redis);
  }

  async claim(deliveryKeys: readonly string[]): Promise<Claim> {
    const token = randomUUID();
    const states = new Map<string, ClaimState>();
    if (deliveryKeys.length === 0) return { token, states };
    const raw = (await CLAIM.run(this.redis, deliveryKeys.map((k) => this.keys.delivery(k)), [token, this.claimTtlMs])) as string[];
    deliveryKeys.forEach((k, i) => states.set(k, raw[i] === 'c' ? 'claimed' : raw[i] === 'd' ? 'duplicate' : 'busy'));
    return { token, states };
  }

  async confirm(claim: Claim, deliveryKeys: readonly string[]): Promise<void> {
    await this.settle(claim, deliveryKeys, 'confirm');
  }

  async release(claim: Claim, deliveryKeys: readonly string[]): Promise<void> {
    await this.settle(claim, deliveryKeys, 'release');
  }

  private async settle(claim: Claim, deliveryKeys: readonly string[], how: 'confirm' | 'release'): Promise<void> {
    if (deliveryKeys.length === 0) return;
    await SETTLE.run(this.redis, deliveryKeys.map((k) => this.keys.delivery(k)), [claim.token, how, this.doneTtlMs]);
  }
}
