import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { Keys } from '../../src/platform/keys.ts';
import { createQueues } from '../../src/platform/queues.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { DeadLetterStore } from '../../src/store/dead-letters.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

let redis: Redis;
const prefix = `lsdl${randomBytes(3).toString('hex')}`;
const keys = new Keys(prefix);
const tenant = { crm: 'salesforce', id: '00D5g000004Sxyz' };
const env = { REDIS_URL, LEADSTAGE_REDIS_PREFIX: prefix };

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  const store = new DeadLetterStore(redis, keys);
  await store.add(
    tenant,
    [
      {
        kind: 'contact',
        objectType: 'lead',
        id: '00Q000000000001AAA',
        reason: 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Company is required',
      },
      {
        kind: 'task',
        objectType: 'lead',
        id: '00Q000000000002AAA',
        reason: 'task: INVALID_CROSS_REFERENCE_KEY: owner is inactive',
      },
    ],
    new Date('2026-12-01T10:00:00Z'),
  );
  await store.add(
    tenant,
    [
      {
        kind: 'contact',
        objectType: 'lead',
        id: '00Q000000000001AAA',
        reason: 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Company is required',
      },
    ],
    new Date('2026-12-02T10:00:00Z'),
  );
});
afterAll(async () => {
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['dead-letter', ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    readFile: () => '',
  });
  return { code, stdout, stderr };
}

describe('leadstage dead-letter', () => {
  it('lists each refused record with its reason, first and last seen and count', async () => {
    const r = await cli('list', '--tenant', 'salesforce:00D5g000004Sxyz', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        kind: 'task',
        objectType: 'lead',
        id: '00Q000000000002AAA',
        reason: 'task: INVALID_CROSS_REFERENCE_KEY: owner is inactive',
        firstSeenAt: '2026-12-01T10:00:00.000Z',
        lastSeenAt: '2026-12-01T10:00:00.000Z',
        count: 1,
      },
      {
        kind: 'contact',
        objectType: 'lead',
        id: '00Q000000000001AAA',
        reason: 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Company is required',
        firstSeenAt: '2026-12-01T10:00:00.000Z',
        lastSeenAt: '2026-12-02T10:00:00.000Z',
        count: 2,
      },
    ]);
    expect((await cli('list', '--tenant', 'salesforce:00D5g000004Sxyz')).stdout).toMatch(
      /contact\s+lead:00Q000000000001AAA\s+2\s+/,
    );
  });

  it('shows one record in full, and says when there is no such dead letter', async () => {
    const r = await cli('show', '--tenant', 'salesforce:00D5g000004Sxyz', '--id', 'lead:00Q000000000001AAA');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'record      lead:00Q000000000001AAA (contact)\nseen        2× — first 2026-12-01T10:00:00.000Z, last 2026-12-02T10:00:00.000Z\n' +
        'reason      FIELD_CUSTOM_VALIDATION_EXCEPTION: Company is required\n',
    );
    const none = await cli('show', '--tenant', 'salesforce:00D5g000004Sxyz', '--id', 'lead:00Q000000000009AAA');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('no dead letter for lead:00Q000000000009AAA in salesforce:00D5g000004Sxyz\n');
    expect((await cli('show', '--tenant', 'salesforce:00D5g000004Sxyz')).code).toBe(2); // show needs --id
  });

  it('retries one record: it is pending again, a recompute is queued, and it leaves the list', async () => {
    const r = await cli('retry', '--tenant', 'salesforce:00D5g000004Sxyz', '--id', 'lead:00Q000000000001AAA');
    expect(r.stdout).toBe('1 dead letter(s) queued for a recompute\n');
    expect(await redis.smembers(keys.pending(tenant))).toEqual(['lead:00Q000000000001AAA']);
    const queues = createQueues(redis, prefix);
    expect((await queues.recompute.getJobs(['waiting', 'delayed'])).map((j) => j.data)).toEqual([{ tenant }]);
    await queues.close();
    expect((await new DeadLetterStore(redis, keys).list(tenant)).map((l) => l.id)).toEqual(['00Q000000000002AAA']);
  });

  it('retries a job that failed for good by queuing its tenant, without inventing a pending record', async () => {
    const other = { crm: 'hubspot', id: '62515' };
    await new DeadLetterStore(redis, keys).add(
      other,
      [{ kind: 'job', objectType: 'recompute', id: 'job', reason: 'CrmTransientError: 503' }],
      new Date('2026-12-02T10:00:00Z'),
    );
    const r = await cli('retry', '--tenant', 'hubspot:62515');
    expect(r.stdout).toBe('1 dead letter(s) queued for a recompute\n');
    expect(await redis.smembers(keys.pending(other))).toEqual([]);
    const queues = createQueues(redis, prefix);
    expect((await queues.recompute.getJobs(['waiting', 'delayed'])).map((j) => j.data)).toContainEqual({
      tenant: other,
    });
    await queues.close();
  });

  it('discards, and refuses a missing tenant with usage', async () => {
    expect((await cli('discard', '--tenant', 'salesforce:00D5g000004Sxyz')).stdout).toBe(
      '1 dead letter(s) discarded\n',
    );
    expect(await new DeadLetterStore(redis, keys).list(tenant)).toEqual([]);
    expect((await cli('list')).code).toBe(2);
  });
});
