import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecomputeStore } from '../../jobs/recompute-ports.ts';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { WorkerStore } from '../../src/store/worker-store.ts';
import { FakeRecomputeStore } from '../fakes/fake-stores.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// One contract, two implementations: the Redis WorkerStore (on a real Redis) and the in-process
// fake the use-case tests run on. If the fake drifts from the real store, this fails.
let redis: Redis;
const prefix = `lsws${randomBytes(3).toString('hex')}`;
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

type Store = RecomputeStore & Pick<WorkerStore, 'markPending' | 'tenantsWithWork'>;
const makers: [string, () => Store][] = [
  ['WorkerStore on Redis', () => new WorkerStore(redis, new Keys(`${prefix}:${randomBytes(2).toString('hex')}`))],
  ['FakeRecomputeStore', () => new FakeRecomputeStore()],
];
const tenant = { crm: 'hubspot', id: '62515' };
const refs = (...ids: string[]) => ids.map((id) => ({ objectType: 'contact', id }));

describe.each(makers)('%s', (_name, make) => {
  it('takes a batch into flight, resumes it until finished, then takes the next', async () => {
    const s = make();
    await s.markPending(tenant, refs('1', '2', '3'));
    const first = await s.takeBatch(tenant, 2);
    expect(first).toHaveLength(2);
    expect(await s.pendingCount(tenant)).toBe(1);
    expect((await s.takeBatch(tenant, 2)).sort()).toEqual([...first].sort()); // a crashed batch comes back
    await s.finish(tenant, first);
    expect(await s.takeBatch(tenant, 2)).toHaveLength(1);
    expect(await s.takeBatch({ crm: 'hubspot', id: 'other' }, 2)).toEqual([]);
  });

  it('lists the tenants with contacts pending or in flight', async () => {
    const s = make();
    await s.markPending(tenant, refs('1'));
    await s.markPending({ crm: 'salesforce', id: '00D000000000001' }, [{ objectType: 'lead', id: '00Q000000000001' }]);
    await s.takeBatch({ crm: 'salesforce', id: '00D000000000001' }, 5);
    const found = (await s.tenantsWithWork()).map((t) => `${t.crm}:${t.id}`).sort();
    expect(found).toEqual(['hubspot:62515', 'salesforce:00D000000000001']);
  });

  it('claims a task key once: claimed, then stale while unconfirmed, then done with its id', async () => {
    const s = make();
    const at = new Date('2026-11-23T15:00:00Z');
    const later = new Date('2026-11-23T15:05:00Z');
    const k1 = (ownerId: string | null) => [{ key: 'k1', ownerId }];
    expect((await s.claimTasks(tenant, k1('1001'), 'tok-a', at)).get('k1')).toEqual({ state: 'claimed' });
    // A second attempt, planned for another owner, learns whom the first one claimed it for.
    expect((await s.claimTasks(tenant, k1('1002'), 'tok-b', later)).get('k1')).toEqual({
      state: 'stale',
      claimedAt: at.getTime(),
      ownerId: '1001',
    });
    await s.confirmTask(tenant, 'k1', 'task-9', '1001');
    expect((await s.claimTasks(tenant, k1('1002'), 'tok-c', later)).get('k1')).toEqual({
      state: 'done',
      taskId: 'task-9',
      ownerId: '1001',
    });
    await s.releaseTask(tenant, 'k1');
    expect((await s.claimTasks(tenant, k1(null), 'tok-d', later)).get('k1')).toEqual({ state: 'claimed' });
    expect((await s.claimTasks(tenant, k1(null), 'tok-e', later)).get('k1')).toEqual({
      state: 'stale',
      claimedAt: later.getTime(),
      ownerId: null,
    });
  });

  it('commits rotation credits only on the version it loaded, per tenant', async () => {
    const s = make();
    const snap = await s.loadRotation(tenant, ['us']);
    expect(snap).toEqual({ credits: { us: {} }, versions: { us: '0' } });
    expect(await s.commitRotation(tenant, 'us', '0', { a: 1, b: -1 })).toBe(true);
    expect(await s.commitRotation(tenant, 'us', '0', { a: 5 })).toBe(false);
    expect(await s.loadRotation(tenant, ['us'])).toEqual({ credits: { us: { a: 1, b: -1 } }, versions: { us: '1' } });
    // Another company on the same CRM has its own rotation: a pool of the same name starts fresh.
    const other = { ...tenant, id: `${tenant.id}-other` };
    expect(await s.loadRotation(other, ['us'])).toEqual({ credits: { us: {} }, versions: { us: '0' } });
  });

  it('counts stage entries per contact', async () => {
    const s = make();
    await s.recordEntries(tenant, [
      { id: '1', stage: 'lead' },
      { id: '1', stage: 'lead' },
      { id: '2', stage: 'marketingqualifiedlead' },
    ]);
    const e = await s.stageEntries(tenant, ['1', '2', '3']);
    expect(Object.fromEntries(e)).toEqual({ '1': { lead: 2 }, '2': { marketingqualifiedlead: 1 }, '3': {} });
  });
});
