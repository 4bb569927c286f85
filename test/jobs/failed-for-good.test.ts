import { describe, expect, it } from 'vitest';
import { recordFailedForGood } from '../../jobs/failed-for-good.ts';
import { CrmTransientError } from '../../src/platform/crm-errors.ts';
import { FakeDeadLetters } from '../fakes/fake-stores.ts';
import { NOW } from '../helpers/fixtures.ts';

const tenant = { crm: 'hubspot', id: '62515' };

describe('a job that failed for good', () => {
  it.each([
    ['attempts left: BullMQ retries it, no dead letter', 3, 12, false],
    ['its last attempt spent: a dead letter', 12, 12, true],
    ['a job without retries, failed once', 1, undefined, true],
  ] as const)('%s', async (_name, made, attempts, expected) => {
    const dead = new FakeDeadLetters();
    const err = new CrmTransientError('update contacts: 503 Service Unavailable');
    const recorded = await recordFailedForGood(
      dead,
      tenant,
      'recompute',
      { attemptsMade: made, opts: attempts === undefined ? {} : { attempts } },
      err,
      NOW,
    );
    expect(recorded).toBe(expected);
    expect(dead.letters).toHaveLength(expected ? 1 : 0);
    if (expected)
      expect(dead.letters[0]).toMatchObject({
        kind: 'job',
        objectType: 'recompute',
        id: 'job',
        reason: `${err.name}: update contacts: 503 Service Unavailable`,
        count: 1,
      });
  });

  it('one entry per queue: a second failure counts, with the latest reason', async () => {
    const dead = new FakeDeadLetters();
    await recordFailedForGood(dead, tenant, 'recompute', { attemptsMade: 1, opts: {} }, new Error('first'), NOW);
    await recordFailedForGood(
      dead,
      tenant,
      'recompute',
      { attemptsMade: 1, opts: {} },
      new Error('second'),
      new Date(NOW.getTime() + 1000),
    );
    expect(dead.letters).toHaveLength(1);
    expect(dead.letters[0]).toMatchObject({ count: 2, reason: 'Error: second', firstSeenAt: NOW.toISOString() });
  });
});
