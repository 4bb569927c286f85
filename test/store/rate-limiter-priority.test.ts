import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CrmRateLimitedError } from '../../src/platform/crm-errors.ts';
import { Keys } from '../../src/platform/keys.ts';
import { TenantRateLimiter } from '../../src/store/rate-limiter.ts';
import { deleteKeys, REDIS_URL } from '../helpers/ingress.ts';

// Low priority (a rescore) against live work in one tenant's shared quota, on a real Redis and an
// injected clock. maxInlineWaitMs 0: a call that would have to wait throws instead of sleeping.
const tenant = { crm: 'hubspot', id: '62515' };
let redis: Redis;
let keys: Keys;
let now = 1_000_000;
const limiter = (priority: 'live' | 'low') =>
  new TenantRateLimiter(
    redis,
    keys,
    { max: 10, windowMs: 1_000, maxInlineWaitMs: 0, marginMs: 0, priority, lowShare: 0.7 },
    () => now,
  );
const takes = async (l: TenantRateLimiter) =>
  l.acquire(tenant).then(
    () => true,
    (err: unknown) => {
      if (err instanceof CrmRateLimitedError) return false;
      throw err;
    },
  );

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(() => redis.disconnect());
afterEach(async () => deleteKeys(redis, `${keys.prefix}:*`));
beforeEach(async () => {
  keys = new Keys(`lsprio${randomBytes(4).toString('hex')}`);
  now = 1_000_000;
});

describe('TenantRateLimiter priorities', () => {
  it('low priority fills at most its share of the window; live calls still find the rest', async () => {
    const low = limiter('low');
    const live = limiter('live');
    const lowTaken = [];
    for (let i = 0; i < 9; i++) lowTaken.push(await takes(low));
    expect(lowTaken.filter(Boolean)).toHaveLength(7);
    for (let i = 0; i < 3; i++) expect(await takes(live)).toBe(true);
    expect(await takes(live)).toBe(false); // the window is full
  });

  it('never takes a slot while a live call waits for one: the freed slot goes to the live call', async () => {
    const low = limiter('low');
    const live = limiter('live');
    for (let i = 0; i < 10; i++) expect(await takes(live)).toBe(true);
    expect(await takes(live)).toBe(false); // waits: marks the tenant
    now += 1_001; // the whole window has aged out
    expect(await takes(low)).toBe(false); // below its share, but a live call is waiting
    expect(await takes(live)).toBe(true);
    expect(await takes(low)).toBe(true); // the live call got its slot: low priority goes on
  });

  it('live calls are unaffected by the share (default priority)', async () => {
    const live = new TenantRateLimiter(
      redis,
      keys,
      { max: 10, windowMs: 1_000, maxInlineWaitMs: 0, marginMs: 0 },
      () => now,
    );
    let n = 0;
    while (await takes(live)) n += 1;
    expect(n).toBe(10);
  });
});
