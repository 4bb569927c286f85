import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/platform/keys.ts';
import { RescoreCheckpointStore } from '../../src/store/rescore-checkpoints.ts';
import { FakeRescoreCheckpoints } from '../fakes/fake-stores.ts';
import { deleteKeys, REDIS_URL } from '../helpers/ingress.ts';

// The Redis checkpoint store and the fake the use-case tests use keep the same contract.
const tenant = { crm: 'salesforce', id: '00D5g000004SxyzEAC' };
const other = { crm: 'hubspot', id: '62515' };
let redis: Redis;
const keys = new Keys(`lsckpt${randomBytes(4).toString('hex')}`);
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await deleteKeys(redis, `${keys.prefix}:*`);
  redis.disconnect();
});

describe.each([
  ['RescoreCheckpointStore (Redis)', () => new RescoreCheckpointStore(redis, keys)],
  ['FakeRescoreCheckpoints', () => new FakeRescoreCheckpoints()],
])('%s', (_name, make) => {
  it('keeps one checkpoint per tenant until cleared', async () => {
    const store = make();
    await store.clear(tenant);
    expect(await store.get(tenant)).toBeNull();
    await store.set(tenant, { cursor: 'lead:00Q000000000042AAA', read: 2_000, changed: 310 });
    await store.set(tenant, { cursor: 'contact:', read: 4_000, changed: 600 });
    expect(await store.get(tenant)).toEqual({ cursor: 'contact:', read: 4_000, changed: 600 });
    expect(await store.get(other)).toBeNull();
    await store.clear(tenant);
    expect(await store.get(tenant)).toBeNull();
  });
});
