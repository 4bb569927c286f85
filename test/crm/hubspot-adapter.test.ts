import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CrmRateLimitedError, CrmRejectedError, CrmTransientError } from '../../src/platform/crm-errors.ts';
import { HubSpotAdapter } from '../../src/crm/hubspot/hubspot-adapter.ts';
import { TenantRateLimiter } from '../../src/store/rate-limiter.ts';
import { Keys } from '../../src/platform/keys.ts';
import type { PlannedTask } from '../../src/core/types.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { deleteKeys, REDIS_URL } from '../helpers/ingress.ts';

// Request and response shapes from HubSpot's CRM v3 docs (batch read/update, tasks, owners, search).
const API = 'https://api.hubapi.com';
const tenant = { crm: 'hubspot', id: '62515' } as const;
const config = defaultConfig();
const PROPS = [
  'company',
  'country',
  'email',
  'firstname',
  'hs_analytics_num_page_views',
  'hs_email_last_open_date',
  'hs_email_open',
  'hs_lead_status',
  'hubspot_owner_id',
  'industry',
  'jobtitle',
  'lastname',
  'leadstage_budget',
  'leadstage_decision_maker',
  'leadstage_fit_grade',
  'leadstage_need',
  'leadstage_purchase_timeframe',
  'leadstage_reasons',
  'leadstage_score',
  'lifecyclestage',
  'num_conversion_events',
  'numemployees',
];

let redis: Redis;
let prefix: string;
let adapter: HubSpotAdapter;
const make = (retries = 0) =>
  new HubSpotAdapter({
    config,
    accessToken: async () => 'pat-test-token',
    limiter: new TenantRateLimiter(redis, new Keys(prefix), { max: 110, windowMs: 10_000, maxInlineWaitMs: 3_000 }),
    retries,
  });

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  nock.disableNetConnect();
});
afterAll(() => {
  nock.enableNetConnect();
  redis.disconnect();
});
beforeEach(() => {
  prefix = `lstest${randomBytes(5).toString('hex')}`;
  adapter = make();
});
afterEach(async () => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  await deleteKeys(redis, `${prefix}:*`);
  expect(pending, 'every expected HubSpot call was made').toEqual([]);
});

const record = (id: string, props: Record<string, string | null>) => ({
  id,
  properties: { hs_object_id: id, ...props },
  createdAt: '2026-11-01T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
  archived: false,
});

describe('readContacts', () => {
  it('batch-reads exactly the mapped properties and maps records to snapshots', async () => {
    nock(API, { reqheaders: { authorization: 'Bearer pat-test-token' } })
      .post('/crm/v3/objects/contacts/batch/read', {
        inputs: [{ id: '101' }, { id: '102' }],
        properties: PROPS,
        propertiesWithHistory: [],
      })
      .query({ archived: 'false' })
      .reply(200, {
        status: 'COMPLETE',
        startedAt: '2026-11-23T15:00:00.000Z',
        completedAt: '2026-11-23T15:00:00.100Z',
        results: [
          record('101', {
            email: 'dana@northwind.io',
            jobtitle: 'VP Sales',
            lifecyclestage: 'lead',
            hs_lead_status: 'IN_PROGRESS',
            hubspot_owner_id: '1002',
            leadstage_score: '41',
            leadstage_fit_grade: 'B',
            numemployees: '100-500',
          }),
          record('102', { email: null, lifecyclestage: 'marketingqualifiedlead', hs_lead_status: 'OPEN' }),
        ],
      });
    const got = await adapter.readContacts(tenant, [
      { objectType: 'contact', id: '101' },
      { objectType: 'contact', id: '102' },
    ]);
    expect(got.get('101')).toMatchObject({
      crm: 'hubspot',
      objectType: 'contact',
      id: '101',
      stage: 'lead',
      leadStatus: 'IN_PROGRESS',
      ownerId: '1002',
      fields: { email: 'dana@northwind.io', jobTitle: 'VP Sales', employeeBand: '100-500' },
      scored: { score: 41, grade: 'B', reasons: null },
    });
    expect(got.get('102')).toMatchObject({
      stage: 'marketingqualifiedlead',
      leadStatus: 'nurture',
      ownerId: null,
      scored: { score: null },
    });
    expect(adapter.calls).toBe(1);
  });

  it('reads 150 contacts in two calls of 100 and 50; a missing id is simply absent (207)', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => String(1000 + i));
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read', (b) => b.inputs.length === 100)
      .query(true)
      .reply(200, {
        status: 'COMPLETE',
        results: ids.slice(0, 100).map((id) => record(id, {})),
        startedAt: 'x',
        completedAt: 'x',
      });
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read', (b) => b.inputs.length === 50)
      .query(true)
      .reply(207, {
        status: 'COMPLETE',
        results: ids.slice(100, 149).map((id) => record(id, {})),
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: 'Could not get some CONTACT objects, they may be deleted or not exist.',
            context: { ids: ['1149'] },
          },
        ],
        startedAt: 'x',
        completedAt: 'x',
      });
    const got = await adapter.readContacts(
      tenant,
      ids.map((id) => ({ objectType: 'contact' as const, id })),
    );
    expect(got.size).toBe(149);
    expect(got.has('1149')).toBe(false);
    expect(adapter.calls).toBe(2);
  });
});

describe('writeContacts', () => {
  const scoredAt = new Date('2026-11-23T15:00:00.000Z');
  it('sends only the changed properties, mapped to HubSpot values, and reports per-record errors', async () => {
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update', {
        inputs: [
          {
            id: '101',
            objectWriteTraceId: '101',
            properties: {
              leadstage_score: '87',
              leadstage_reasons: 'Score 87 …',
              hs_lead_status: 'NEW',
              hubspot_owner_id: '1001',
              lifecyclestage: 'marketingqualifiedlead',
              leadstage_last_scored_at: '2026-11-23T15:00:00.000Z',
            },
          },
          {
            id: '102',
            objectWriteTraceId: '102',
            properties: { leadstage_fit_grade: 'C', leadstage_last_scored_at: '2026-11-23T15:00:00.000Z' },
          },
        ],
      })
      .reply(207, {
        status: 'COMPLETE',
        results: [record('101', {})],
        numErrors: 1,
        startedAt: 'x',
        completedAt: 'x',
        errors: [
          {
            status: 'error',
            category: 'VALIDATION_ERROR',
            message: 'Property values were not valid',
            context: { ids: ['102'] },
          },
        ],
      });
    const out = await adapter.writeContacts(tenant, [
      {
        objectType: 'contact',
        id: '101',
        fromStage: 'lead',
        scoredAt,
        changes: {
          score: 87,
          reasons: 'Score 87 …',
          leadStatus: 'new',
          ownerId: '1001',
          stage: 'marketingqualifiedlead',
        },
      },
      { objectType: 'contact', id: '102', fromStage: 'lead', scoredAt, changes: { grade: 'C' } },
      { objectType: 'contact', id: '103', fromStage: 'lead', scoredAt, changes: {} },
    ]);
    expect(out).toEqual([
      { id: '101', ok: true },
      { id: '102', ok: false, reason: 'VALIDATION_ERROR: Property values were not valid', retryable: false },
      { id: '103', ok: true },
    ]);
    expect(adapter.calls).toBe(1);
  });

  it('moves lifecyclestage back in two requests: clear, then the earlier value', async () => {
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update', {
        inputs: [
          {
            id: '7',
            objectWriteTraceId: '7',
            properties: { lifecyclestage: '', leadstage_last_scored_at: '2026-11-23T15:00:00.000Z' },
          },
        ],
      })
      .reply(200, { status: 'COMPLETE', results: [record('7', {})], startedAt: 'x', completedAt: 'x' });
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update', {
        inputs: [{ id: '7', objectWriteTraceId: '7', properties: { lifecyclestage: 'lead' } }],
      })
      .reply(200, { status: 'COMPLETE', results: [record('7', {})], startedAt: 'x', completedAt: 'x' });
    const out = await adapter.writeContacts(tenant, [
      { objectType: 'contact', id: '7', fromStage: 'marketingqualifiedlead', scoredAt, changes: { stage: 'lead' } },
    ]);
    expect(out).toEqual([{ id: '7', ok: true }]);
    expect(adapter.calls).toBe(2);
  });

  it('makes no call when nothing changed', async () => {
    expect(
      await adapter.writeContacts(tenant, [{ objectType: 'contact', id: '1', fromStage: null, scoredAt, changes: {} }]),
    ).toEqual([{ id: '1', ok: true }]);
    expect(adapter.calls).toBe(0);
  });
});

describe('createTasks', () => {
  const task = (key: string, over: Partial<PlannedTask> = {}): PlannedTask => ({
    key,
    ruleId: 'mql-follow-up',
    stage: 'marketingqualifiedlead',
    subject: `Follow up ${key.slice(0, 4)}`,
    body: 'Why now: demo-request.',
    type: 'call',
    priority: 'high',
    dueAt: '2026-11-23T15:05:00.000Z',
    slaRuleId: 'hot-inbound',
    ownerId: '1001',
    ...over,
  });
  const input = (t: PlannedTask, contactId: string) => ({
    properties: {
      hs_timestamp: t.dueAt,
      hs_task_subject: t.subject,
      hs_task_body: `${t.body}\n\n[leadstage:${t.key}]`,
      hs_task_status: 'NOT_STARTED',
      hs_task_priority: t.priority.toUpperCase(),
      hs_task_type: t.type.toUpperCase(),
      ...(t.ownerId ? { hubspot_owner_id: t.ownerId } : {}),
    },
    associations: [
      { to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 204 }] },
    ],
  });

  it('creates one task with its contact association (task → contact, type 204)', async () => {
    const t = task('aa11');
    nock(API)
      .post('/crm/v3/objects/tasks', input(t, '101'))
      .reply(201, {
        id: '9001',
        properties: input(t, '101').properties,
        createdAt: 'x',
        updatedAt: 'x',
        archived: false,
      });
    expect(await adapter.createTasks(tenant, [{ task: t, contact: { objectType: 'contact', id: '101' } }])).toEqual([
      { key: 'aa11', ok: true, taskId: '9001' },
    ]);
  });

  it('batch-creates several and matches results by their marker, whatever the order', async () => {
    const [a, b] = [task('aa11'), task('bb22', { priority: 'medium', type: 'email', ownerId: null })];
    nock(API)
      .post('/crm/v3/objects/tasks/batch/create', {
        inputs: [
          { objectWriteTraceId: 'aa11', ...input(a, '101') },
          { objectWriteTraceId: 'bb22', ...input(b, '102') },
        ],
      })
      .reply(201, {
        status: 'COMPLETE',
        startedAt: 'x',
        completedAt: 'x',
        results: [
          { id: '9002', properties: input(b, '102').properties },
          { id: '9001', properties: input(a, '101').properties },
        ],
      });
    const out = await adapter.createTasks(tenant, [
      { task: a, contact: { objectType: 'contact', id: '101' } },
      { task: b, contact: { objectType: 'contact', id: '102' } },
    ]);
    expect(out).toEqual([
      { key: 'aa11', ok: true, taskId: '9001' },
      { key: 'bb22', ok: true, taskId: '9002' },
    ]);
  });

  // Multi-status batch create: response shape from developers.hubspot.com/docs/api-reference/error-handling
  // ("Multi-status errors"; test/fixtures/docs/hubspot-batch-create-tasks-207.json): valid inputs created,
  // each invalid one reported with its objectWriteTraceId.
  it('with objectWriteTraceId, a batch creates the valid tasks and reports each invalid one', async () => {
    const doc = JSON.parse(
      readFileSync(new URL('../fixtures/docs/hubspot-batch-create-tasks-207.json', import.meta.url), 'utf8'),
    ).response;
    const [a, b] = [task('aa11'), task('bb22')];
    const reply = {
      ...doc,
      results: [{ ...doc.results[0], id: '9001', properties: input(a, '101').properties }],
      errors: [{ ...doc.errors[0], context: { objectWriteTraceId: ['bb22'] } }],
    };
    nock(API).post('/crm/v3/objects/tasks/batch/create').reply(207, reply);
    const out = await adapter.createTasks(tenant, [
      { task: a, contact: { objectType: 'contact', id: '101' } },
      { task: b, contact: { objectType: 'contact', id: '102' } },
    ]);
    expect(out[0]).toEqual({ key: 'aa11', ok: true, taskId: '9001' });
    expect(out[1]).toMatchObject({
      key: 'bb22',
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/^VALIDATION_ERROR: Property values were not valid/),
    });
  });

  it('never retries a task-creating POST, even with SDK retries on (a 502 surfaces once)', async () => {
    adapter = make(3);
    nock(API)
      .post('/crm/v3/objects/tasks')
      .once()
      .reply(502, { status: 'error', message: 'Bad Gateway', category: 'INTERNAL_ERROR' });
    await expect(
      adapter.createTasks(tenant, [{ task: task('cc33'), contact: { objectType: 'contact', id: '1' } }]),
    ).rejects.toBeInstanceOf(CrmTransientError);
    expect(adapter.calls).toBe(1);
  });

  it('reports a validation error per task as not retryable', async () => {
    nock(API).post('/crm/v3/objects/tasks').reply(400, {
      status: 'error',
      message: 'Property values were not valid: hubspot_owner_id',
      category: 'VALIDATION_ERROR',
      correlationId: 'c',
    });
    const [out] = await adapter.createTasks(tenant, [
      { task: task('dd44'), contact: { objectType: 'contact', id: '1' } },
    ]);
    expect(out).toEqual({
      key: 'dd44',
      ok: false,
      retryable: false,
      reason: 'create tasks: HubSpot 400: Property values were not valid: hubspot_owner_id',
    });
  });
});

describe('writeContacts when one of its calls is refused as a whole', () => {
  it('splits that call in √n parts until the refused record stands alone; every other record is written', async () => {
    const writes = Array.from({ length: 150 }, (_, i) => ({
      objectType: 'contact',
      id: String(1000 + i),
      changes: { score: 10 },
      fromStage: null,
      scoredAt: new Date('2026-11-23T15:00:00Z'),
    }));
    const poisoned = (b: { inputs: { id: string }[] }) => b.inputs.some((x) => x.id === '1120');
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update', (b) => poisoned(b))
      .times(10)
      .reply(400, { status: 'error', message: 'Property values were not valid', category: 'VALIDATION_ERROR' });
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update', (b) => !poisoned(b))
      .times(20)
      .reply(200, { status: 'COMPLETE', results: [], startedAt: 'x', completedAt: 'x' });
    const out = await adapter.writeContacts(tenant, writes);
    expect(out.filter((o) => !o.ok)).toEqual([
      { id: '1120', ok: false, retryable: false, reason: expect.stringContaining('Property values were not valid') },
    ]);
    expect(out.filter((o) => o.ok)).toHaveLength(149);
    // 100 + 50 refused; 50 → 7 parts of ≤ 8; 8 → 3 parts of ≤ 3; 3 → 2 + 1; 2 → 1 + 1: at most 16 calls.
    expect(adapter.calls).toBeLessThanOrEqual(2 + 7 + 3 + 2 + 2);
    nock.cleanAll();
  });
});

describe('findByEmail', () => {
  it('batch-reads by the email id property (exact match, outside the search API limit)', async () => {
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read', {
        inputs: [{ id: 'ana@northwind.io' }, { id: 'bo@x.io' }],
        idProperty: 'email',
        properties: ['email'],
        propertiesWithHistory: [],
      })
      .query({ archived: 'false' })
      .reply(207, {
        status: 'COMPLETE',
        startedAt: 'x',
        completedAt: 'x',
        results: [record('501', { email: 'ana@northwind.io' })],
        numErrors: 1,
        errors: [
          { status: 'error', category: 'OBJECT_NOT_FOUND', message: 'not found', context: { ids: ['bo@x.io'] } },
        ],
      });
    const found = await adapter.findByEmail(tenant, ['Ana@Northwind.io', 'bo@x.io']);
    expect([...found]).toEqual([['ana@northwind.io', [{ objectType: 'contact', id: '501' }]]]);
  });
});

// Search response shape (total, results, paging.next.after): developers.hubspot.com/docs/api/crm/search
describe('findTasks, listOwners', () => {
  it('finds a whole batch of tasks by their markers with one creation-date search, paging until all are found', async () => {
    const since = new Date('2026-11-23T14:55:00Z');
    const search = (after?: string) => ({
      filterGroups: [{ filters: [{ propertyName: 'hs_createdate', operator: 'GTE', value: String(since.getTime()) }] }],
      properties: ['hs_task_body'],
      sorts: ['hs_createdate'],
      limit: 200,
      ...(after ? { after } : {}),
    });
    nock(API)
      .post('/crm/v3/objects/tasks/search', search())
      .reply(200, {
        total: 3,
        results: [
          { id: '1', properties: { hs_task_body: "a person's task" } },
          { id: '2', properties: { hs_task_body: 'x\n\n[leadstage:abc123]' } },
        ],
        paging: { next: { after: '2' } },
      });
    nock(API)
      .post('/crm/v3/objects/tasks/search', search('2'))
      .reply(200, { total: 3, results: [{ id: '3', properties: { hs_task_body: '[leadstage:def456]' } }] });
    const found = await adapter.findTasks(
      tenant,
      [
        { key: 'abc123', contact: { objectType: 'contact', id: '101' } },
        { key: 'def456', contact: { objectType: 'contact', id: '102' } },
      ],
      since,
    );
    expect(Object.fromEntries(found)).toEqual({ abc123: '2', def456: '3' });
    expect(adapter.calls).toBe(2);
  });

  it('lists active owners across pages, and archived ones as inactive', async () => {
    nock(API)
      .get('/crm/v3/owners/')
      .query({ limit: '100', archived: 'false' })
      .reply(200, {
        results: [{ id: '1001', email: 'a@x.io', archived: false, userId: 1 }],
        paging: { next: { after: 'p2', link: 'x' } },
      });
    nock(API)
      .get('/crm/v3/owners/')
      .query({ after: 'p2', limit: '100', archived: 'false' })
      .reply(200, { results: [{ id: '1002', archived: false }] });
    nock(API)
      .get('/crm/v3/owners/')
      .query({ limit: '100', archived: 'true' })
      .reply(200, { results: [{ id: '1004', archived: true }] });
    expect(await adapter.listOwners(tenant)).toEqual([
      { id: '1001', active: true },
      { id: '1002', active: true },
      { id: '1004', active: false },
    ]);
  });
});

describe('quotas and errors', () => {
  it('on 429 pauses the portal for Retry-After, then succeeds once the window allows', async () => {
    nock(API).post('/crm/v3/objects/contacts/batch/read').query(true).reply(
      429,
      {
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
      },
      {
        'Retry-After': '1',
        'X-HubSpot-RateLimit-Max': '110',
        'X-HubSpot-RateLimit-Remaining': '0',
        'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
      },
    );
    const err = await adapter.readContacts(tenant, [{ objectType: 'contact', id: '1' }]).catch((e) => e);
    expect(err).toBeInstanceOf(CrmRateLimitedError);
    expect(err.retryAfterMs).toBe(1_000);
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read')
      .query(true)
      .reply(200, { status: 'COMPLETE', results: [record('1', {})], startedAt: 'x', completedAt: 'x' });
    const started = Date.now();
    expect((await adapter.readContacts(tenant, [{ objectType: 'contact', id: '1' }])).size).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // it waited out the pause first
  });

  it("turns a daily-limit 429 into a long delay, and other 4xx into rejections with HubSpot's message", async () => {
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read')
      .query(true)
      .reply(429, { status: 'error', message: 'daily limit', policyName: 'DAILY' });
    const daily = await adapter.readContacts(tenant, [{ objectType: 'contact', id: '1' }]).catch((e) => e);
    expect(daily).toBeInstanceOf(CrmRateLimitedError);
    expect(daily.retryAfterMs).toBeGreaterThan(0);
    await redis.del(`${prefix}:{hubspot:62515}:quota-pause`);
    nock(API).post('/crm/v3/objects/contacts/batch/read').query(true).reply(403, {
      status: 'error',
      message: "This app hasn't been granted all required scopes",
      category: 'MISSING_SCOPES',
    });
    const rejected = await adapter.readContacts(tenant, [{ objectType: 'contact', id: '1' }]).catch((e) => e);
    expect(rejected).toBeInstanceOf(CrmRejectedError);
    expect(rejected.message).toContain("This app hasn't been granted all required scopes");
  });

  // The DAILY 429 body from developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
  // (test/fixtures/docs/hubspot-429-daily.json); account details from the account-information guide.
  it("pauses a portal over its daily cap until midnight in the account's time zone, not UTC", async () => {
    const daily = JSON.parse(readFileSync(new URL('../fixtures/docs/hubspot-429-daily.json', import.meta.url), 'utf8'));
    const details = JSON.parse(
      readFileSync(new URL('../fixtures/docs/hubspot-account-info-details.json', import.meta.url), 'utf8'),
    );
    nock(API).post('/crm/v3/objects/contacts/batch/read').query(true).reply(429, daily);
    nock(API).get('/account-info/2026-03/details').reply(200, details); // timeZone US/Eastern
    const opts = {
      config,
      accessToken: async () => 'pat-test-token',
      retries: 0,
      limiter: new TenantRateLimiter(redis, new Keys(prefix), { max: 110, windowMs: 10_000, maxInlineWaitMs: 3_000 }),
    };
    const details_ = new HubSpotAdapter(opts);
    const z = new HubSpotAdapter({ ...opts, timezone: (t) => details_.accountDetails(t).then((d) => d.timeZone) });
    const err = await z.readContacts(tenant, [{ objectType: 'contact', id: '1' }]).catch((e) => e);
    expect(err).toBeInstanceOf(CrmRateLimitedError);
    const expected = DateTime.now().setZone('US/Eastern').plus({ days: 1 }).startOf('day').toMillis() - Date.now();
    expect(Math.abs(err.retryAfterMs - expected)).toBeLessThan(5_000);
    await redis.del(`${prefix}:{hubspot:62515}:quota-pause`);
  });

  it('adopts the limit HubSpot announces in its headers, for every worker', async () => {
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read')
      .query(true)
      .reply(
        200,
        { status: 'COMPLETE', results: [record('1', {})], startedAt: 'x', completedAt: 'x' },
        {
          'X-HubSpot-RateLimit-Max': '190',
          'X-HubSpot-RateLimit-Remaining': '189',
          'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
        },
      );
    await adapter.readContacts(tenant, [{ objectType: 'contact', id: '1' }]);
    expect(await redis.hgetall(`${prefix}:{hubspot:62515}:quota-limit`)).toEqual({ max: '190', windowMs: '10000' });
  });

  it('shares one quota per portal: the 111th call in the window waits', async () => {
    const limiter = new TenantRateLimiter(redis, new Keys(prefix), { max: 3, windowMs: 10_000, maxInlineWaitMs: 0 });
    for (let i = 0; i < 3; i++) await limiter.acquire(tenant);
    await expect(limiter.acquire(tenant)).rejects.toBeInstanceOf(CrmRateLimitedError);
    await limiter.acquire({ crm: 'hubspot', id: 'other-portal' }); // another portal has its own quota
  });
});

// Tasks API, batch read and update: https://developers.hubspot.com/docs/api-reference/crm-tasks-v3/batch/post-crm-v3-objects-tasks-batch-read
// and …/batch/post-crm-v3-objects-tasks-batch-update (hs_task_status NOT_STARTED | IN_PROGRESS | WAITING | COMPLETED | DEFERRED).
describe('readTasks, updateTasks (the SLA escalation)', () => {
  it('batch-reads status, owner and body; a completed task is closed, a missing one absent (207)', async () => {
    nock(API)
      .post('/crm/v3/objects/tasks/batch/read', {
        inputs: [{ id: '9001' }, { id: '9002' }, { id: '9003' }],
        properties: ['hs_task_status', 'hubspot_owner_id', 'hs_task_body'],
        propertiesWithHistory: [],
      })
      .query({ archived: 'false' })
      .reply(207, {
        status: 'COMPLETE',
        startedAt: '2026-11-23T15:00:00.000Z',
        completedAt: '2026-11-23T15:00:00.050Z',
        results: [
          {
            id: '9001',
            properties: {
              hs_object_id: '9001',
              hs_task_status: 'NOT_STARTED',
              hubspot_owner_id: '1001',
              hs_task_body: 'Call\n\n[leadstage:ab12]',
            },
            createdAt: '2026-11-23T15:00:00Z',
            updatedAt: '2026-11-23T15:00:00Z',
            archived: false,
          },
          {
            id: '9002',
            properties: {
              hs_object_id: '9002',
              hs_task_status: 'COMPLETED',
              hubspot_owner_id: '1002',
              hs_task_body: null,
            },
            createdAt: '2026-11-23T15:00:00Z',
            updatedAt: '2026-11-23T15:00:00Z',
            archived: false,
          },
        ],
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: 'Could not get some TASK objects, they may be deleted or not exist.',
            context: { ids: ['9003'] },
          },
        ],
      });
    const got = await adapter.readTasks(tenant, ['9001', '9002', '9003']);
    expect(got).toEqual(
      new Map([
        ['9001', { id: '9001', open: true, ownerId: '1001', body: 'Call\n\n[leadstage:ab12]' }],
        ['9002', { id: '9002', open: false, ownerId: '1002', body: '' }],
      ]),
    );
  });

  it('updates only the named properties: a note and priority, or owner, or completed', async () => {
    nock(API)
      .post('/crm/v3/objects/tasks/batch/update', {
        inputs: [
          { id: '9001', properties: { hs_task_body: 'Call\n\nSLA missed', hs_task_priority: 'HIGH' } },
          { id: '9002', properties: { hs_task_status: 'COMPLETED' } },
          { id: '9003', properties: { hubspot_owner_id: '1003' } },
        ],
      })
      .reply(200, {
        status: 'COMPLETE',
        startedAt: '2026-11-23T15:00:00.000Z',
        completedAt: '2026-11-23T15:00:00.050Z',
        results: [],
      });
    const out = await adapter.updateTasks(tenant, [
      { id: '9001', body: 'Call\n\nSLA missed', priority: 'high' },
      { id: '9002', close: true },
      { id: '9003', ownerId: '1003' },
    ]);
    expect(out.every((o) => o.ok)).toBe(true);
  });

  it('reports a refused update per task as not retryable', async () => {
    nock(API)
      .post('/crm/v3/objects/tasks/batch/update')
      .reply(400, { status: 'error', message: 'Property values were not valid', category: 'VALIDATION_ERROR' });
    const [o] = await adapter.updateTasks(tenant, [{ id: '9001', priority: 'high' }]);
    expect(o).toMatchObject({
      id: '9001',
      ok: false,
      retryable: false,
      reason: expect.stringContaining('Property values were not valid'),
    });
  });
});
