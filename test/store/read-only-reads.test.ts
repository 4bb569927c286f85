import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { ActivityStore } from '../../src/store/activity-store.ts';
import { OwnerAwayStore } from '../../src/store/owner-away-store.ts';
import { learnedLimit, TenantRateLimiter } from '../../src/store/rate-limiter.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// The reads `leadstage simulate` uses must give what the worker's reads give, and write nothing.
const redis = new Redis(REDIS_URL);
const keys = new Keys(`lsreadonly${randomBytes(3).toString('hex')}`);
const tenant = { crm: 'hubspot', id: '62515' };
const NOW = Date.parse('2026-11-23T15:00:00Z');
const DAY = 86_400_000;
afterAll(async () => {
  await deleteByPrefix(redis, keys.prefix);
  await redis.quit();
});

describe('read-only reads (real Redis)', () => {
  it('ActivityStore.peekMany returns what activitiesMany returns, without trimming the history', async () => {
    const key = keys.activities(tenant, '101');
    const fields: Record<string, string> = {
      __email: 'x',
      old: JSON.stringify({ at: NOW - 40 * DAY, type: 'email_open', attributes: {} }),
    };
    for (let i = 0; i < 5; i++)
      fields[`a${i}`] = JSON.stringify({ at: NOW - i * DAY, type: 'page_view', attributes: { url: `/p${i}` } });
    await redis.hset(key, fields);
    const store = new ActivityStore(redis, keys, { maxAgeDays: 30, maxPerContact: 3 });
    const peeked = await store.peekMany(tenant, ['101', '102'], NOW);
    expect(await redis.hlen(key)).toBe(7); // nothing trimmed
    expect(peeked.get('101')!.map((a) => a.id)).toEqual(['a2', 'a1', 'a0']);
    expect(peeked.get('102')).toEqual([]);
    expect(await store.activitiesMany(tenant, ['101', '102'], NOW)).toEqual(peeked);
    expect(await redis.hlen(key)).toBe(4); // the worker's read trims: __email + the 3 kept
  });

  it('OwnerAwayStore.peek leaves past marks in place; away() drops them', async () => {
    const away = new OwnerAwayStore(redis, keys);
    await away.markAway('rep-1', NOW - 1000);
    await away.markAway('rep-2', NOW + DAY);
    expect([...(await away.peek(NOW))]).toEqual([['rep-2', NOW + DAY]]);
    expect(await redis.hlen(keys.ownersAway())).toBe(2);
    expect([...(await away.away(NOW))]).toEqual([['rep-2', NOW + DAY]]);
    expect(await redis.hlen(keys.ownersAway())).toBe(1);
  });

  it('learnedLimit reads the limit the CRM announced, and null before', async () => {
    expect(await learnedLimit(redis, keys, tenant)).toBeNull();
    await new TenantRateLimiter(redis, keys, { max: 110, windowMs: 10_000, maxInlineWaitMs: 0 }).learn(
      tenant,
      190,
      10_000,
    );
    expect(await learnedLimit(redis, keys, tenant)).toEqual({ max: 190, windowMs: 10_000 });
  });
});
