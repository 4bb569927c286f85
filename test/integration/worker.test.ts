import { until } from '../helpers/until.ts';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { taskKey } from '../../src/core/tasks.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWorkerService, type WorkerService } from '../../src/app/worker-service.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { hsEvent, postFeed, postHubSpot, startIngress, type TestIngress } from '../helpers/ingress.ts';

// The whole path on real parts: signed webhooks → web service → Redis/BullMQ → worker → HubSpot,
// faked only at the network boundary (nock), with HubSpot's documented shapes.
const API = 'https://api.hubapi.com';
const tenant = { crm: 'hubspot', id: '62515' } as const;
let t: TestIngress;
let workers: WorkerService[] = [];

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect((host) => host.startsWith('127.0.0.1') || host.startsWith('localhost'));
});
afterAll(() => nock.enableNetConnect());
beforeEach(async () => {
  t = await startIngress({ BATCH_WINDOW_MS: '100' });
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
  await t.close();
  nock.cleanAll();
});

async function startWorker(
  extra: Record<string, string> = {},
  opts: { lockDurationMs?: number; stalledIntervalMs?: number } = {},
): Promise<WorkerService> {
  const parsed = parseEnv(
    {
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      LEADSTAGE_REDIS_PREFIX: t.prefix,
      HUBSPOT_ACCESS_TOKEN: 'pat-test',
      LOG_LEVEL: 'silent',
      ...extra,
    },
    { web: false },
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const w = await startWorkerService({
    env: parsed.env,
    config: defaultConfig(),
    log: createLogger(process.env['TEST_LOG'] ?? 'silent'),
    ...opts,
  });
  workers.push(w);
  return w;
}

const record = (id: string, props: Record<string, string | null>) => ({
  id,
  properties: { hs_object_id: id, ...props },
  createdAt: 'x',
  updatedAt: 'x',
  archived: false,
});
const strongFit = {
  email: 'dana@northwind.io',
  firstname: 'Dana',
  lastname: 'Ortiz',
  jobtitle: 'VP Marketing',
  company: 'Northwind',
  industry: 'Software',
  numemployees: '100-500',
  country: 'United States',
  lifecyclestage: 'lead',
};
const owners = () => {
  nock(API)
    .get('/crm/v3/owners/')
    .query({ limit: '100', archived: 'false' })
    .reply(200, {
      results: [
        { id: '1001', archived: false },
        { id: '1002', archived: false },
        { id: '1003', archived: false },
      ],
    });
  nock(API)
    .get('/crm/v3/owners/')
    .query({ limit: '100', archived: 'true' })
    .reply(200, { results: [{ id: '1004', archived: true }] });
};
// nock 15 hangs on function replies under fetch interception, so replies are static: a created
// task echoes the marker of the key leadstage computes for that contact (keys are deterministic).
const createdTask = (id: string, taskId: string) => ({
  id: taskId,
  createdAt: 'x',
  updatedAt: 'x',
  archived: false,
  properties: {
    hs_task_body: `[leadstage:${taskKey({ crm: 'hubspot', objectType: 'contact', id, stage: null, leadStatus: null, ownerId: null, fields: {} }, 'mql-follow-up', 'marketingqualifiedlead', 0)}]`,
  },
});
const updated = (id: string) => ({ status: 'COMPLETE', results: [record(id, {})], startedAt: 'x', completedAt: 'x' });

describe('recompute worker with HubSpot', () => {
  it('50 events for one contact → one read, one write, one task', async () => {
    const read = nock(API)
      .post('/crm/v3/objects/contacts/batch/read', (b) => b?.inputs?.length === 1 && b.inputs[0].id === '101')
      .query(true)
      .once()
      .reply(200, { status: 'COMPLETE', results: [record('101', strongFit)], startedAt: 'x', completedAt: 'x' });
    owners();
    let taskBody: { properties: Record<string, string>; associations: unknown } | undefined;
    const task = nock(API)
      .post('/crm/v3/objects/tasks', (b) => ((taskBody = b), true))
      .once()
      .reply(201, createdTask('101', '7001'));
    let update: { inputs: { id: string; properties: Record<string, string> }[] } | undefined;
    const write = nock(API)
      .post('/crm/v3/objects/contacts/batch/update', (b) => ((update = b), true))
      .once()
      .reply(200, updated('101'));

    const events = Array.from({ length: 49 }, (_, i) =>
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: 101,
        propertyName: 'jobtitle',
        propertyValue: `v${i}`,
      }),
    );
    expect((await postHubSpot(t.url, '/webhooks/hubspot', JSON.stringify(events))).status).toBe(204);
    expect(
      (
        await postFeed(
          t.url,
          JSON.stringify({
            id: 'demo-1',
            type: 'demo_request',
            occurredAt: new Date().toISOString(),
            contact: { crm: 'hubspot', portalId: 62515, id: '101' },
          }),
        )
      ).status,
    ).toBe(202);

    const w = await startWorker();
    await until(() => write.isDone());
    await until(async () => ((await t.web.queues.recompute.getJobCounts('completed')).completed ?? 0) >= 1);
    expect(read.isDone() && task.isDone()).toBe(true);
    expect(taskBody!.associations).toEqual([
      { to: { id: '101' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 204 }] },
    ]);
    expect(taskBody!.properties).toMatchObject({
      hs_task_priority: 'HIGH',
      hs_task_type: 'CALL',
      hs_task_status: 'NOT_STARTED',
      hubspot_owner_id: '1001',
    });
    expect(update!.inputs).toHaveLength(1);
    expect(update!.inputs[0]!.properties).toMatchObject({
      lifecyclestage: 'marketingqualifiedlead',
      hs_lead_status: 'NEW',
      hubspot_owner_id: '1001',
      leadstage_fit_grade: 'A',
    });
    expect(await w.store.pendingCount(tenant)).toBe(0);
    expect(await t.redis.scard(`${t.prefix}:{hubspot:62515}:inflight`)).toBe(0);
    // (The sweeper may add an empty follow-up job; the batch is the one that took the contact.)
    const job = (await t.web.queues.recompute.getJobs(['completed'])).find((j) => j.returnvalue?.contacts > 0);
    expect(job?.returnvalue).toMatchObject({ contacts: 1, written: 1, tasksCreated: 1, crmCalls: 5 }); // read, 2 owner pages, task, write
  });

  it('a retried batch never creates the task twice: the ledger remembers it', async () => {
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read')
      .query(true)
      .times(2)
      .reply(200, { status: 'COMPLETE', results: [record('101', strongFit)], startedAt: 'x', completedAt: 'x' });
    owners();
    const task = nock(API).post('/crm/v3/objects/tasks').once().reply(201, createdTask('101', '7001'));
    // The first write fails (HubSpot 502); the job retries and the second write succeeds.
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update')
      .times(4)
      .reply(502, { status: 'error', message: 'Bad Gateway', category: 'INTERNAL_ERROR' });
    const write = nock(API).post('/crm/v3/objects/contacts/batch/update').once().reply(200, updated('101'));
    await postFeed(
      t.url,
      JSON.stringify({
        id: 'demo-2',
        type: 'demo_request',
        occurredAt: new Date().toISOString(),
        contact: { crm: 'hubspot', portalId: 62515, id: '101' },
      }),
    );
    await startWorker();
    await until(() => write.isDone(), 15_000);
    expect(task.isDone()).toBe(true);
    expect(nock.pendingMocks().filter((m) => m.includes('/tasks'))).toEqual([]);
  }, 20_000);

  it('two workers on one queue share one fair owner rotation', async () => {
    // Six strong-fit contacts become MQLs in six separate batches, alternating between two workers.
    const ids = ['201', '202', '203', '204', '205', '206'];
    for (const id of ids)
      nock(API)
        .post('/crm/v3/objects/contacts/batch/read', (b) => b?.inputs?.[0]?.id === id)
        .query(true)
        .reply(200, { status: 'COMPLETE', results: [record(id, strongFit)], startedAt: 'x', completedAt: 'x' });
    nock(API)
      .get('/crm/v3/owners/')
      .query({ limit: '100', archived: 'false' })
      .times(4)
      .reply(200, {
        results: [
          { id: '1001', archived: false },
          { id: '1002', archived: false },
        ],
      });
    nock(API)
      .get('/crm/v3/owners/')
      .query({ limit: '100', archived: 'true' })
      .times(4)
      .reply(200, { results: [{ id: '1004', archived: true }] });
    for (const id of ids)
      nock(API)
        .post('/crm/v3/objects/tasks', (b) => b?.associations?.[0]?.to?.id === id)
        .reply(201, createdTask(id, `t${id}`));
    const assigned: string[] = [];
    for (const id of ids) {
      nock(API)
        .post(
          '/crm/v3/objects/contacts/batch/update',
          (b) => b?.inputs?.[0]?.id === id && Boolean(assigned.push(b.inputs[0].properties.hubspot_owner_id)),
        )
        .reply(200, updated(id));
    }
    await startWorker({ RECOMPUTE_BATCH_SIZE: '1', WORKER_CONCURRENCY: '1' });
    await startWorker({ RECOMPUTE_BATCH_SIZE: '1', WORKER_CONCURRENCY: '1' });
    for (const id of ids) {
      await postFeed(
        t.url,
        JSON.stringify({
          id: `demo-${id}`,
          type: 'demo_request',
          occurredAt: new Date().toISOString(),
          contact: { crm: 'hubspot', portalId: 62515, id },
        }),
      );
    }
    await until(() => assigned.length === 6, 15_000);
    // rep-1 (weight 2) and rep-2 (weight 1), one rotation across both workers: the exact smooth
    // weighted round-robin sequence. Two private rotations would interleave as 1001,1001,1002,… instead.
    expect(assigned).toEqual(['1001', '1002', '1001', '1001', '1002', '1001']);
  }, 20_000);

  it('the sweeper finds contacts left in flight by a job that failed for good, and finishes them', async () => {
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read')
      .query(true)
      .reply(200, {
        status: 'COMPLETE',
        results: [record('301', { lifecyclestage: 'subscriber' })],
        startedAt: 'x',
        completedAt: 'x',
      });
    const write = nock(API)
      .post('/crm/v3/objects/contacts/batch/update', (b) => b?.inputs?.[0]?.id === '301')
      .reply(200, updated('301'));
    owners();
    // As a job that stalled too often leaves them: in flight, and no job for the tenant anywhere.
    await t.redis.sadd(`${t.prefix}:{hubspot:62515}:inflight`, 'contact:301');
    await t.redis.sadd(`${t.prefix}:work-tenants`, 'hubspot:62515'); // ingress indexed the tenant when the work arrived
    expect(await t.web.queues.recompute.count()).toBe(0);
    await startWorker({ SWEEP_STRANDED_MS: '1000' });
    await until(() => write.isDone(), 10_000);
    await until(async () => (await t.redis.scard(`${t.prefix}:{hubspot:62515}:inflight`)) === 0);
  }, 15_000);
});
