import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { SlaState } from '../../jobs/escalate-tenant.ts';
import type { SlaTask } from '../../src/core/escalation.ts';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SlaStore } from '../../src/store/sla-store.ts';
import { FakeSlaState } from '../fakes/fake-stores.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

const redis = new Redis(REDIS_URL);
const keys = new Keys(`lssla${randomBytes(3).toString('hex')}`);
afterAll(async () => {
  await deleteByPrefix(redis, keys.prefix);
  await redis.quit();
});

const task = (key: string, over: Partial<SlaTask> = {}): SlaTask => ({
  key,
  taskId: `t-${key}`,
  crm: 'hubspot',
  contact: { objectType: 'contact', id: `c-${key}` },
  ownerId: '1001',
  step: 0,
  dueAt: 1_000,
  createdAt: 0,
  ruleId: 'r',
  slaRuleId: 's',
  stage: 'marketingqualifiedlead',
  subject: 'Call',
  type: 'call',
  tried: [],
  ...over,
});

// The same contract for the Redis store and the in-process fake the use-case tests run on.
describe.each([
  ['SlaStore (real Redis)', () => new SlaStore(redis, keys)],
  ['FakeSlaState', () => new FakeSlaState()],
] as [string, () => SlaState][])('%s', (_name, make) => {
  it('watches once, gives what is due earliest first, moves a step on, forgets', async () => {
    const s = make();
    const tenant = { crm: 'hubspot', id: randomBytes(4).toString('hex') };
    await s.watch(tenant, [
      { task: task('b'), at: 2_000 },
      { task: task('a'), at: 1_000 },
      { task: task('c'), at: 9_000 },
    ]);
    // Watching again (a redone batch) keeps the state it has.
    await s.watch(tenant, [{ task: task('a', { step: 5 }), at: 50 }]);
    expect((await s.due(tenant, 5_000, 10)).map((t) => [t.key, t.step])).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    expect((await s.due(tenant, 5_000, 1)).map((t) => t.key)).toEqual(['a']);
    await s.update(tenant, task('a', { step: 1 }), 8_000);
    expect((await s.due(tenant, 8_500, 10)).map((t) => [t.key, t.step])).toEqual([
      ['b', 0],
      ['a', 1],
    ]);
    await s.forget(tenant, ['a', 'b']);
    expect(await s.due(tenant, 10_000, 10)).toEqual([task('c')]);
  });

  it('keeps a loan beyond the watch (a task past its last step), until it ends', async () => {
    const s = make();
    const tenant = { crm: 'hubspot', id: randomBytes(4).toString('hex') };
    await s.watch(tenant, [{ task: task('x', { loanedFrom: 'rep-1', ownerId: '1002' }), at: null }]);
    expect(await s.due(tenant, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    expect(await s.loans(tenant)).toEqual([
      { key: 'x', taskId: 't-x', contact: { objectType: 'contact', id: 'c-x' }, from: 'rep-1', to: '1002' },
    ]);
    await s.endLoan(tenant, 'x');
    expect(await s.loans(tenant)).toEqual([]);
  });
});
