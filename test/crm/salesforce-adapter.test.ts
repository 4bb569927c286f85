import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Connection } from 'jsforce';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CrmAuthError, CrmRateLimitedError } from '../../src/platform/crm-errors.ts';
import { TenantRateLimiter } from '../../src/store/rate-limiter.ts';
import { Keys } from '../../src/platform/keys.ts';
import { NO_AUTO_ASSIGN, SalesforceAdapter } from '../../src/crm/salesforce/salesforce-adapter.ts';
import type { PlannedTask } from '../../src/core/types.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { deleteKeys, REDIS_URL } from '../helpers/ingress.ts';

// A local HTTP server answering with Salesforce REST shapes (query, sObject Collections, OAuth
// token refresh); jsforce talks to it over real HTTP through its instanceUrl and loginUrl.
interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}
type Handler = (req: Seen) => { status: number; body: unknown } | undefined;

const V = '61.0';
const tenant = { crm: 'salesforce', id: '00D5g000004Sxyz' } as const;
const config = defaultConfig();
let server: Server;
let url = '';
let seen: Seen[] = [];
let handlers: Handler[] = [];
let redis: Redis;
let prefix: string;
let refreshed: string[] = [];

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const s: Seen = {
      method: req.method!,
      path: decodeURIComponent(req.url!),
      headers: req.headers,
      body: raw && req.headers['content-type']?.includes('json') ? JSON.parse(raw) : raw,
    };
    seen.push(s);
    const answer = handlers.map((h) => h(s)).find(Boolean) ?? {
      status: 404,
      body: [{ errorCode: 'NOT_FOUND', message: `no handler for ${s.method} ${s.path}` }],
    };
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(answer as { headers?: Record<string, string> }).headers,
    });
    res.end(JSON.stringify(answer.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  redis.disconnect();
});
beforeEach(() => {
  seen = [];
  handlers = [];
  refreshed = [];
  prefix = `lstest${randomBytes(5).toString('hex')}`;
});
afterEach(async () => {
  await deleteKeys(redis, `${prefix}:*`);
});

function adapter(accessToken = 'token-1'): SalesforceAdapter {
  const conn = new Connection({
    instanceUrl: url,
    accessToken,
    refreshToken: 'refresh-1',
    version: V,
    oauth2: { clientId: 'cid', clientSecret: 'csecret', loginUrl: url, redirectUri: `${url}/cb` },
  });
  conn.on('refresh', (token: string) => refreshed.push(token)); // the worker persists it here
  return new SalesforceAdapter({
    config,
    connection: async () => conn,
    limiter: new TenantRateLimiter(redis, new Keys(prefix), { max: 100, windowMs: 1_000, maxInlineWaitMs: 1_000 }),
  });
}

const ok = (body: unknown) => ({ status: 200, body });

describe('SalesforceAdapter', () => {
  it('reads Leads and Contacts by id with the mapped fields (relationship fields too)', async () => {
    handlers.push((r) =>
      r.path.startsWith(`/services/data/v${V}/query`) && r.path.includes('FROM Lead')
        ? ok({
            totalSize: 1,
            done: true,
            records: [
              {
                attributes: { type: 'Lead' },
                Id: '00Q5g00000LeadAAAA',
                OwnerId: '005000000000002AAA',
                Email: 'm@helix.io',
                Title: 'CRO',
                NumberOfEmployees: 1200,
                Status: 'Open - Not Contacted',
                Lifecycle_Stage__c: 'MQL',
                Lead_Score__c: 88,
                Fit_Grade__c: 'A',
              },
            ],
          })
        : undefined,
    );
    handlers.push((r) =>
      r.path.includes('FROM Contact')
        ? ok({
            totalSize: 1,
            done: true,
            records: [
              {
                attributes: { type: 'Contact' },
                Id: '0035g00000CntcAAAA',
                OwnerId: null,
                Email: 'c@x.io',
                Account: { attributes: { type: 'Account' }, Name: 'Helix Cloud' },
                Lifecycle_Stage__c: null,
              },
            ],
          })
        : undefined,
    );
    const got = await adapter().readContacts(tenant, [
      { objectType: 'lead', id: '00Q5g00000LeadAAAA' },
      { objectType: 'contact', id: '0035g00000CntcAAAA' },
    ]);
    expect(got.get('00Q5g00000LeadAAAA')).toMatchObject({
      objectType: 'lead',
      stage: 'marketingqualifiedlead',
      leadStatus: 'new',
      ownerId: '005000000000002AAA',
      fields: { numberOfEmployees: 1200, jobTitle: 'CRO' },
      scored: { score: 88, grade: 'A' },
    });
    expect(got.get('0035g00000CntcAAAA')).toMatchObject({
      objectType: 'contact',
      stage: null,
      fields: { company: 'Helix Cloud' },
    });
    const leadQuery = seen.find((s) => s.path.includes('FROM Lead'))!.path;
    expect(leadQuery).toContain(
      "SELECT Id, OwnerId, Email, FirstName, LastName, Title, Company, Industry, NumberOfEmployees, Country, Budget__c, Need__c, Purchase_Timeframe__c, Lead_Score__c, Fit_Grade__c, Score_Reasons__c, Lifecycle_Stage__c, Status FROM Lead WHERE Id IN ('00Q5g00000LeadAAAA')",
    );
    expect(seen.find((s) => s.path.includes('FROM Contact'))!.path).toContain('Account.Name');
  });

  it('updates through sObject Collections with allOrNone false and Sforce-Auto-Assign: FALSE, reading each result', async () => {
    handlers.push((r) =>
      r.method === 'PATCH' && r.path === `/services/data/v${V}/composite/sobjects`
        ? ok([
            { id: '00Q000000000001AAA', success: true, errors: [] },
            {
              id: '00Q000000000002AAA',
              success: false,
              errors: [{ statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Company is required', fields: [] }],
            },
            {
              id: '00Q000000000003AAA',
              success: false,
              errors: [
                {
                  statusCode: 'UNABLE_TO_LOCK_ROW',
                  message: 'unable to obtain exclusive access to this record',
                  fields: [],
                },
              ],
            },
          ])
        : undefined,
    );
    const scoredAt = new Date('2026-11-23T15:00:00.000Z');
    const out = await adapter().writeContacts(tenant, [
      {
        objectType: 'lead',
        id: '00Q000000000001AAA',
        fromStage: 'lead',
        scoredAt,
        changes: { score: 90, stage: 'marketingqualifiedlead', leadStatus: 'new', ownerId: '005000000000001AAA' },
      },
      { objectType: 'lead', id: '00Q000000000002AAA', fromStage: 'lead', scoredAt, changes: { grade: 'C' } },
      { objectType: 'lead', id: '00Q000000000003AAA', fromStage: 'lead', scoredAt, changes: { reasons: 'r' } },
    ]);
    expect(out).toEqual([
      { id: '00Q000000000001AAA', ok: true },
      {
        id: '00Q000000000002AAA',
        ok: false,
        reason: 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Company is required',
        retryable: false,
      },
      {
        id: '00Q000000000003AAA',
        ok: false,
        reason: 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record',
        retryable: true,
      },
    ]);
    const patch = seen.find((s) => s.method === 'PATCH')!;
    expect(patch.headers['sforce-auto-assign']).toBe(NO_AUTO_ASSIGN['Sforce-Auto-Assign']);
    expect(patch.body).toEqual({
      allOrNone: false,
      records: [
        {
          id: '00Q000000000001AAA',
          attributes: { type: 'Lead' },
          Lead_Score__c: 90,
          Lifecycle_Stage__c: 'MQL',
          Status: 'Open - Not Contacted',
          OwnerId: '005000000000001AAA',
          Last_Scored_At__c: '2026-11-23T15:00:00.000Z',
        },
        {
          id: '00Q000000000002AAA',
          attributes: { type: 'Lead' },
          Fit_Grade__c: 'C',
          Last_Scored_At__c: '2026-11-23T15:00:00.000Z',
        },
        {
          id: '00Q000000000003AAA',
          attributes: { type: 'Lead' },
          Score_Reasons__c: 'r',
          Last_Scored_At__c: '2026-11-23T15:00:00.000Z',
        },
      ],
    });
  });

  it('creates Tasks with WhoId, OwnerId, Subject ≤ 255, ActivityDate, Priority, Status and Description', async () => {
    handlers.push((r) =>
      r.method === 'POST' && r.path === `/services/data/v${V}/composite/sobjects`
        ? ok([{ id: '00T000000000001AAA', success: true, errors: [] }])
        : undefined,
    );
    const task: PlannedTask = {
      key: 'ab12',
      ruleId: 'mql-follow-up',
      stage: 'marketingqualifiedlead',
      subject: 'S'.repeat(300),
      body: 'Why now: demo-request.',
      type: 'call',
      priority: 'high',
      dueAt: '2026-11-24T04:30:00.000Z',
      slaRuleId: 'hot-inbound',
      ownerId: '005000000000001AAA',
    };
    const out = await adapter().createTasks(tenant, [
      { task, contact: { objectType: 'lead', id: '00Q000000000001AAA' } },
    ]);
    expect(out).toEqual([{ key: 'ab12', ok: true, taskId: '00T000000000001AAA' }]);
    const [record] = (seen.at(-1)!.body as { records: Record<string, unknown>[] }).records;
    expect(record).toEqual({
      attributes: { type: 'Task' },
      WhoId: '00Q000000000001AAA',
      OwnerId: '005000000000001AAA',
      Subject: 'S'.repeat(255),
      ActivityDate: '2026-11-23', // 04:30 UTC is still the 23rd in New York
      IsReminderSet: true,
      ReminderDateTime: '2026-11-24T04:30:00.000Z',
      Priority: 'High',
      Status: 'Not Started',
      Description: 'Why now: demo-request.\n\n[leadstage:ab12]',
    });
  });

  it('refreshes an expired token on 401 and hands the new one to the caller to persist', async () => {
    handlers.push((r) =>
      r.method === 'POST' && r.path === '/services/oauth2/token'
        ? ok({
            access_token: 'token-2',
            instance_url: url,
            id: `${url}/id/00D5g000004SxyzEAC/005000000000001AAA`,
            token_type: 'Bearer',
            issued_at: '1764000000000',
            signature: 'sig',
          })
        : undefined,
    );
    handlers.push((r) =>
      r.path.includes('/query')
        ? r.headers.authorization === 'Bearer token-2'
          ? ok({ totalSize: 0, done: true, records: [] })
          : { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] }
        : undefined,
    );
    await adapter('token-1').readContacts(tenant, [{ objectType: 'lead', id: '00Q000000000001AAA' }]);
    expect(refreshed).toEqual(['token-2']);
    const tokenCall = seen.find((s) => s.path === '/services/oauth2/token')!;
    expect(String(tokenCall.body)).toContain('grant_type=refresh_token');
    expect(String(tokenCall.body)).toContain('refresh_token=refresh-1');
  });

  it('maps REQUEST_LIMIT_EXCEEDED to a delay, and a refresh that fails to an auth error', async () => {
    handlers.push((r) =>
      r.path.includes('/query')
        ? { status: 403, body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }] }
        : undefined,
    );
    await expect(
      adapter().readContacts(tenant, [{ objectType: 'lead', id: '00Q000000000001AAA' }]),
    ).rejects.toBeInstanceOf(CrmRateLimitedError);
    handlers = [
      (r) =>
        r.path === '/services/oauth2/token'
          ? { status: 400, body: { error: 'invalid_grant', error_description: 'expired access/refresh token' } }
          : undefined,
      (r) =>
        r.path.includes('/query')
          ? { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] }
          : undefined,
    ];
    await redis.del(`${prefix}:{salesforce:00D5g000004Sxyz}:quota-pause`);
    const err = await adapter()
      .readContacts(tenant, [{ objectType: 'lead', id: '00Q000000000001AAA' }])
      .catch((e) => e);
    expect(err).toBeInstanceOf(CrmAuthError);
    expect(err.message).toContain('expired access/refresh token');
  });

  it('finds open Leads and Contacts by e-mail, quoting addresses safely', async () => {
    handlers.push((r) =>
      r.path.includes('FROM Lead')
        ? ok({ totalSize: 1, done: true, records: [{ Id: '00Q000000000001AAA', Email: 'Ana@Northwind.io' }] })
        : undefined,
    );
    handlers.push((r) =>
      r.path.includes('FROM Contact')
        ? ok({ totalSize: 1, done: true, records: [{ Id: '003000000000001AAA', Email: 'ana@northwind.io' }] })
        : undefined,
    );
    const found = await adapter().findByEmail(tenant, ['ana@northwind.io', "o'neil@x.io"]);
    expect(found.get('ana@northwind.io')).toEqual([
      { objectType: 'lead', id: '00Q000000000001AAA' },
      { objectType: 'contact', id: '003000000000001AAA' },
    ]);
    expect(seen[0]!.path).toContain(
      "SELECT Id, Email FROM Lead WHERE Email IN ('ana@northwind.io', 'o\\'neil@x.io') AND IsConverted = false",
    );
  });

  it('finds a Task by its marker, and reports missing fields and picklist values at start', async () => {
    handlers.push((r) =>
      r.path.includes('FROM Task')
        ? ok({
            totalSize: 2,
            done: true,
            records: [
              { Id: '00T1', Description: 'x' },
              { Id: '00T2', Description: 'y\n\n[leadstage:ab12]' },
            ],
          })
        : undefined,
    );
    const found = await adapter().findTasks(
      tenant,
      [{ key: 'ab12', contact: { objectType: 'lead', id: '00Q000000000001AAA' } }],
      new Date('2026-11-23T14:55:00.000Z'),
    );
    expect(Object.fromEntries(found)).toEqual({ ab12: '00T2' });
    expect(decodeURIComponent(seen.at(-1)!.path).replace(/\+/g, ' ')).toContain(
      "FROM Task WHERE WhoId IN ('00Q000000000001AAA') AND CreatedDate >= 2026-11-23T14:55:00Z",
    );
    const describe = (names: string[], status: string[]) => ({
      name: 'x',
      fields: [
        ...names.map((n) => ({ name: n, type: 'string' })),
        { name: 'Status', type: 'picklist', picklistValues: status.map((v) => ({ value: v, active: true })) },
        { name: 'AccountId', type: 'reference', relationshipName: 'Account' },
      ],
    });
    const leadFields = [
      'Id',
      'OwnerId',
      'Email',
      'FirstName',
      'LastName',
      'Title',
      'Company',
      'Industry',
      'NumberOfEmployees',
      'Country',
      'Budget__c',
      'Need__c',
      'Purchase_Timeframe__c',
      'Lead_Score__c',
      'Fit_Grade__c',
      'Score_Reasons__c',
      'Last_Scored_At__c',
    ];
    handlers.push((r) =>
      r.path.endsWith('/sobjects/Lead/describe')
        ? ok(describe(leadFields, ['Open - Not Contacted', 'Closed - Not Converted']))
        : undefined,
    );
    handlers.push((r) =>
      r.path.endsWith('/sobjects/Contact/describe')
        ? ok(
            describe(
              [
                'Email',
                'FirstName',
                'LastName',
                'Title',
                'MailingCountry',
                'Lead_Score__c',
                'Fit_Grade__c',
                'Score_Reasons__c',
                'Last_Scored_At__c',
                'Lifecycle_Stage__c',
              ],
              [],
            ),
          )
        : undefined,
    );
    // An org whose admin replaced the default TaskPriority "Normal" with "Medium".
    const picklist = (name: string, values: string[]) => ({
      name,
      type: 'picklist',
      picklistValues: values.map((v) => ({ value: v, label: v, active: true, defaultValue: false })),
    });
    handlers.push((r) =>
      r.path.endsWith('/sobjects/Task/describe')
        ? ok({
            name: 'Task',
            fields: [picklist('Status', ['Not Started', 'Completed']), picklist('Priority', ['High', 'Medium', 'Low'])],
          })
        : undefined,
    );
    expect(await adapter().validateSchema(tenant)).toEqual([
      'crm.salesforce.lead.write.stage: Lead has no field Lifecycle_Stage__c',
      'crm.salesforce.lead.leadStatusValues.nurture: "Nurturing" is not an active value of Lead.Status (it has: Open - Not Contacted, Closed - Not Converted)',
      'tasks[].priority: "Normal" is not an active value of Task.Priority in this org (it has: High, Medium, Low)',
    ]);
  });

  // The documented header: developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
  // ("Sforce-Limit-Info: api-usage=10018/100000; api-bursts=1/750", test/fixtures/docs/salesforce-limit-info-header.txt).
  it("reads the org's daily API usage from Sforce-Limit-Info", async () => {
    handlers.push((r) =>
      r.path.includes('FROM Lead')
        ? {
            status: 200,
            body: { totalSize: 0, done: true, records: [] },
            headers: { 'Sforce-Limit-Info': 'api-usage=10018/100000; api-bursts=1/750' },
          }
        : undefined,
    );
    const a = adapter();
    await a.readContacts(tenant, [{ objectType: 'lead', id: '00Q000000000001AAA' }]);
    expect(await a.quotaShare(tenant)).toBeCloseTo(0.10018);
  });
});

// Query response shape (totalSize, done, records with attributes; datetimes as 2026-11-23T15:00:00.000+0000):
// developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm
describe('listModifiedSince (the reconciliation sweep)', () => {
  it('queries by SystemModstamp from the next whole second, then keyset-pages on (SystemModstamp, Id)', async () => {
    const lead = (n: number) => ({
      attributes: { type: 'Lead', url: `/services/data/v${V}/sobjects/Lead/00Q${String(n).padStart(12, '0')}AAA` },
      Id: `00Q${String(n).padStart(12, '0')}AAA`,
      OwnerId: null,
      Email: `l${n}@x.io`,
      SystemModstamp: '2026-11-23T15:00:07.000+0000',
    });
    handlers.push((r) =>
      r.path.includes('FROM Lead') && r.path.includes('SystemModstamp >=')
        ? ok({ totalSize: 200, done: true, records: Array.from({ length: 200 }, (_, i) => lead(i + 1)) })
        : undefined,
    );
    handlers.push((r) =>
      r.path.includes('FROM Lead') ? ok({ totalSize: 1, done: true, records: [lead(201)] }) : undefined,
    );
    handlers.push((r) =>
      r.path.includes('FROM Contact')
        ? ok({
            totalSize: 1,
            done: true,
            records: [
              {
                attributes: { type: 'Contact' },
                Id: '003000000000001AAA',
                OwnerId: null,
                Email: 'c@x.io',
                Account: null,
                SystemModstamp: '2026-11-23T15:00:05.000+0000',
              },
            ],
          })
        : undefined,
    );
    const pages = [];
    for await (const page of adapter().listModifiedSince(tenant, new Date('2026-11-23T15:00:04.200Z'), 10_000))
      pages.push(...page);
    expect(pages.map((p) => p.snapshot.id)).toEqual([
      '003000000000001AAA',
      ...Array.from({ length: 201 }, (_, i) => lead(i + 1).Id),
    ]);
    expect(pages[0]!.modifiedAt).toBe(Date.parse('2026-11-23T15:00:05Z'));
    const queries = seen.filter((x) => x.path.includes('/query')).map((x) => x.path.slice(x.path.indexOf('q=') + 2));
    expect(queries).toContain(
      'SELECT Id, OwnerId, Email, FirstName, LastName, Title, Company, Industry, NumberOfEmployees, Country, Budget__c, Need__c, Purchase_Timeframe__c, Lead_Score__c, Fit_Grade__c, Score_Reasons__c, Lifecycle_Stage__c, Status, SystemModstamp FROM Lead WHERE SystemModstamp >= 2026-11-23T15:00:05Z AND IsConverted = false ORDER BY SystemModstamp ASC, Id ASC LIMIT 200',
    );
    expect(
      queries.some((q) =>
        q.includes(
          "WHERE (SystemModstamp > 2026-11-23T15:00:07Z OR (SystemModstamp = 2026-11-23T15:00:07Z AND Id > '00Q000000000200AAA')) AND IsConverted = false",
        ),
      ),
    ).toBe(true);
  });
});

// Task fields (IsClosed, OwnerId, Description, Status, Priority):
// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm
// sObject Collections update: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
describe('readTasks, updateTasks (the SLA escalation)', () => {
  it('reads Tasks by id with one SOQL query: IsClosed, OwnerId, Description', async () => {
    handlers.push((r) =>
      r.method === 'GET' && r.path.includes('/query')
        ? {
            status: 200,
            body: {
              totalSize: 2,
              done: true,
              records: [
                {
                  attributes: { type: 'Task', url: `/services/data/v${V}/sobjects/Task/00T5g00000AAAAAAAA` },
                  Id: '00T5g00000AAAAAAAA',
                  IsClosed: false,
                  OwnerId: '005000000000001AAA',
                  Description: 'Call\n\n[leadstage:ab12]',
                },
                {
                  attributes: { type: 'Task', url: `/services/data/v${V}/sobjects/Task/00T5g00000BBBBBBBB` },
                  Id: '00T5g00000BBBBBBBB',
                  IsClosed: true,
                  OwnerId: '005000000000002AAA',
                  Description: null,
                },
              ],
            },
          }
        : undefined,
    );
    const got = await adapter().readTasks(tenant, ['00T5g00000AAAAAAAA', '00T5g00000BBBBBBBB']);
    expect(seen.map((s) => s.path)).toEqual([
      `/services/data/v${V}/query?q=SELECT Id, IsClosed, OwnerId, Description FROM Task WHERE Id IN ('00T5g00000AAAAAAAA', '00T5g00000BBBBBBBB')`,
    ]);
    expect(got.get('00T5g00000AAAAAAAA')).toEqual({
      id: '00T5g00000AAAAAAAA',
      open: true,
      ownerId: '005000000000001AAA',
      body: 'Call\n\n[leadstage:ab12]',
    });
    expect(got.get('00T5g00000BBBBBBBB')).toMatchObject({ open: false, body: '' });
  });

  it('updates Tasks in one collections call with only the named fields, per-record results', async () => {
    handlers.push((r) =>
      r.method === 'PATCH' && r.path.endsWith('/composite/sobjects')
        ? {
            status: 200,
            body: [
              { id: '00T5g00000AAAAAAAA', success: true, errors: [] },
              {
                id: '00T5g00000BBBBBBBB',
                success: false,
                errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }],
              },
            ],
          }
        : undefined,
    );
    const out = await adapter().updateTasks(tenant, [
      { id: '00T5g00000AAAAAAAA', body: 'note', priority: 'high', close: true },
      { id: '00T5g00000BBBBBBBB', ownerId: '005000000000003AAA' },
    ]);
    expect((seen[0]!.body as { records: unknown[] }).records).toEqual([
      // jsforce sends the id as `id` (the collections resource accepts either case).
      {
        attributes: { type: 'Task' },
        id: '00T5g00000AAAAAAAA',
        Description: 'note',
        Priority: 'High',
        Status: 'Completed',
      },
      { attributes: { type: 'Task' }, id: '00T5g00000BBBBBBBB', OwnerId: '005000000000003AAA' },
    ]);
    expect(out[0]).toEqual({ id: '00T5g00000AAAAAAAA', ok: true });
    expect(out[1]).toMatchObject({ ok: false, retryable: false, reason: expect.stringContaining('ENTITY_IS_DELETED') });
  });
});
