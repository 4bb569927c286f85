import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { ScoreLedger, type LedgerEntry } from '../../src/store/score-ledger.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

const redis = new Redis(REDIS_URL);
const keys = new Keys(`lsledger${randomBytes(3).toString('hex')}`);
const tenant = { crm: 'hubspot', id: '62515' };
afterAll(async () => {
  await deleteByPrefix(redis, keys.prefix);
  await redis.quit();
});

const entry = (n: number): LedgerEntry => ({
  at: new Date(Date.UTC(2026, 10, 1, 12, n)).toISOString(),
  cause: n % 2 ? 'decay' : 'event',
  score: { from: n - 1, to: n },
  stage: { from: 'lead', to: 'lead' },
  reasons: [`rule-${n} +1`],
});

describe('ScoreLedger (real Redis)', () => {
  it('keeps the last N changes per contact, newest first, with an expiry', async () => {
    const ledger = new ScoreLedger(redis, keys, { max: 5, ttlDays: 30 });
    for (let n = 1; n <= 8; n++)
      await ledger.append(tenant, [
        { id: '101', entry: entry(n) },
        ...(n === 1 ? [{ id: '102', entry: entry(1) }] : []),
      ]);
    const history = await ledger.history(tenant, '101');
    expect(history.map((e) => e.score.to)).toEqual([8, 7, 6, 5, 4]);
    expect(await ledger.history(tenant, '102')).toEqual([entry(1)]);
    const ttl = await redis.ttl(keys.scoreLedger(tenant, '101'));
    expect(ttl).toBeGreaterThan(29 * 86_400);
    expect(ttl).toBeLessThanOrEqual(30 * 86_400);
    expect(await ledger.history(tenant, '999')).toEqual([]);
  });
});
