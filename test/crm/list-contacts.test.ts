import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Connection } from 'jsforce';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HubSpotAdapter } from '../../src/crm/hubspot/hubspot-adapter.ts';
import { SalesforceAdapter } from '../../src/crm/salesforce/salesforce-adapter.ts';
import type { ContactPage, CrmPort } from '../../src/platform/crm-port.ts';
import { Keys } from '../../src/platform/keys.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { TenantRateLimiter } from '../../src/store/rate-limiter.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { deleteKeys, REDIS_URL } from '../helpers/ingress.ts';

// listContacts, the full listing a rescore pages through: one call per page, with the mapped
// properties (no second read), and a cursor that is a plain value (no expiring locator).
// HubSpot: GET /crm/v3/objects/contacts — https://developers.hubspot.com/docs/api-reference/crm-contacts-v3/basic/get-crm-v3-objects-contacts
// Salesforce: GET /query — https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm
const config = defaultConfig();
const hsTenant = { crm: 'hubspot', id: '62515' };
const sfTenant = { crm: 'salesforce', id: '00D5g000004SxyzEAC' };
let redis: Redis;
let prefix: string;
const limiter = (max = 1_000) =>
  new TenantRateLimiter(redis, new Keys(prefix), { max, windowMs: 1_000, maxInlineWaitMs: 3_000 });

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(() => redis.disconnect());
beforeEach(() => {
  prefix = `lslist${randomBytes(5).toString('hex')}`;
});
afterEach(async () => {
  await deleteKeys(redis, `${prefix}:*`);
});

/** Every page from the first, as a rescore reads them. */
async function allPages(crm: CrmPort, tenant: { crm: string; id: string }): Promise<ContactPage[]> {
  const pages: ContactPage[] = [];
  let cursor: string | null = null;
  do {
    const page: ContactPage = await crm.listContacts(tenant, { cursor });
    pages.push(page);
    cursor = page.next;
  } while (cursor !== null);
  return pages;
}

describe('HubSpot listContacts (documented shapes, nock)', () => {
  const API = 'https://api.hubapi.com';
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending, 'every expected HubSpot call was made').toEqual([]);
  });

  it('asks for 100 contacts with the mapped properties, maps them like readContacts, and follows paging.next.after', async () => {
    const props = (q: Record<string, unknown>) => String(q['properties']).split(',');
    const doc = (id: string, p: Record<string, string | null>) => ({
      id,
      properties: {
        createdate: '2019-10-30T03:30:17.883Z',
        hs_object_id: id,
        lastmodifieddate: '2019-12-07T16:50:06.678Z',
        ...p,
      },
      createdAt: '2019-10-30T03:30:17.883Z',
      updatedAt: '2019-12-07T16:50:06.678Z',
      archived: false,
    });
    nock(API, { reqheaders: { authorization: 'Bearer pat-test-token' } })
      .get('/crm/v3/objects/contacts')
      .query(
        (q) =>
          q['limit'] === '100' &&
          q['after'] === undefined &&
          q['archived'] === 'false' &&
          props(q).includes('leadstage_score') &&
          props(q).includes('lifecyclestage'),
      )
      .reply(200, {
        results: [
          doc('512', {
            email: 'bh@hubspot.com',
            jobtitle: 'VP Sales',
            lifecyclestage: 'lead',
            leadstage_score: '41',
            leadstage_fit_grade: 'B',
          }),
        ],
        paging: { next: { after: 'NTI1Cg%3D%3D', link: '?after=NTI1Cg%3D%3D' } },
      })
      .get('/crm/v3/objects/contacts')
      .query((q) => q['after'] === 'NTI1Cg%3D%3D' && q['limit'] === '100')
      .reply(200, { results: [doc('525', { email: null, lifecyclestage: 'subscriber' })] });
    const crm = new HubSpotAdapter({
      config,
      accessToken: async () => 'pat-test-token',
      limiter: limiter(),
      retries: 0,
    });
    const pages = await allPages(crm, hsTenant);
    expect(pages.map((p) => p.next)).toEqual(['NTI1Cg%3D%3D', null]);
    expect(pages[0]!.contacts[0]).toMatchObject({
      crm: 'hubspot',
      objectType: 'contact',
      id: '512',
      stage: 'lead',
      fields: { email: 'bh@hubspot.com', jobTitle: 'VP Sales' },
      scored: { score: 41, grade: 'B' },
    });
    expect(pages[1]!.contacts.map((c) => c.id)).toEqual(['525']);
    expect(crm.calls).toBe(2);
  });
});

describe('listContacts against the sandbox over HTTP', () => {
  let sandbox: SandboxCrm;
  beforeAll(async () => {
    sandbox = new SandboxCrm();
    for (let i = 0; i < 250; i++)
      sandbox.hubspot.contacts.set(String(900 + i), {
        id: String(900 + i),
        properties: { email: `h${i}@example.com`, lifecyclestage: 'lead', jobtitle: 'Analyst' },
      });
    const sf = sandbox.salesforce;
    for (let i = 0; i < 2_300; i++) {
      const Id = sf.newId('Lead');
      sf.records.Lead.set(Id, {
        Id,
        Email: `l${i}@example.com`,
        Title: 'Analyst',
        Company: `Co ${i}`,
        IsConverted: i === 5,
      });
    }
    for (let i = 0; i < 150; i++) {
      const Id = sf.newId('Contact');
      sf.records.Contact.set(Id, { Id, Email: `c${i}@example.com`, Title: 'Analyst' });
    }
    await sandbox.start();
  });
  afterAll(async () => sandbox.stop());

  it('HubSpot: 250 contacts in 3 calls, each once, with its properties; the count in one search', async () => {
    const crm = new HubSpotAdapter({
      config,
      accessToken: async () => 'pat-sandbox',
      basePath: sandbox.url,
      limiter: limiter(),
      retries: 0,
    });
    const pages = await allPages(crm, hsTenant);
    const ids = pages.flatMap((p) => p.contacts.map((c) => c.id));
    expect(ids).toHaveLength(250);
    expect(new Set(ids).size).toBe(250);
    expect(pages[0]!.contacts[0]).toMatchObject({
      stage: 'lead',
      fields: { email: 'h0@example.com', jobTitle: 'Analyst' },
    });
    expect(crm.calls).toBe(3);
    expect(await crm.countContacts(hsTenant)).toBe(250);
  });

  it('Salesforce: open Leads then Contacts by keyset, a call per page even when the answer comes in smaller batches', async () => {
    sandbox.salesforce.queryBatchSize = 1_000; // the org answers in batches of 1,000 (done: false)
    const conn = new Connection({ instanceUrl: sandbox.url, accessToken: 'sandbox-access-token', version: '61.0' });
    const crm = new SalesforceAdapter({ config, connection: async () => conn, limiter: limiter() });
    const pages = await allPages(crm, sfTenant);
    const leads = pages.flatMap((p) => p.contacts).filter((c) => c.objectType === 'lead');
    const contacts = pages.flatMap((p) => p.contacts).filter((c) => c.objectType === 'contact');
    expect(leads).toHaveLength(2_299); // the converted Lead is not scored as a Lead
    expect(new Set(leads.map((c) => c.id)).size).toBe(2_299);
    expect(contacts).toHaveLength(150);
    expect(pages.map((p) => p.next)).toEqual([`lead:${leads[999]!.id}`, `lead:${leads[1_999]!.id}`, 'contact:', null]);
    expect(crm.calls).toBe(4);
    expect(await crm.countContacts(sfTenant)).toBe(2_449);
    sandbox.salesforce.queryBatchSize = 2_000;
  });

  it('Salesforce: resumes from a stored cursor without any server-side locator', async () => {
    const conn = new Connection({ instanceUrl: sandbox.url, accessToken: 'sandbox-access-token', version: '61.0' });
    const crm = new SalesforceAdapter({ config, connection: async () => conn, limiter: limiter() });
    const sorted = [...sandbox.salesforce.records.Lead.values()]
      .filter((r) => r['IsConverted'] !== true)
      .map((r) => r.Id)
      .sort();
    const page = await crm.listContacts(sfTenant, { cursor: `lead:${sorted[2_000]!}` });
    expect(page.contacts.map((c) => c.id)).toEqual(sorted.slice(2_001));
    expect(page.next).toBe('contact:');
    await expect(crm.listContacts(sfTenant, { cursor: "lead:x' OR Id != '" })).rejects.toThrow(
      /not a Salesforce list cursor/,
    );
  });
});

describe('Salesforce listContacts (documented query shapes, local server)', () => {
  let server: Server;
  let url = '';
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const q = new URL(req.url!, 'http://x').searchParams.get('q') ?? '';
      seen.push(q);
      // dome_query.htm: totalSize, done, records with attributes; nextRecordsUrl while done is false.
      const rec = (Id: string) => ({
        attributes: { type: 'Lead', url: `/services/data/v61.0/sobjects/Lead/${Id}` },
        Id,
        Email: `${Id}@example.com`,
        Title: 'CTO',
        IsConverted: false,
      });
      const body = q.includes("Id > '00Q000000000002AAA'")
        ? { totalSize: 0, done: true, records: [] }
        : {
            totalSize: 2_000,
            done: false,
            nextRecordsUrl: '/services/data/v61.0/query/01gD0000002HU6KIAW-2000',
            records: [rec('00Q000000000001AAA'), rec('00Q000000000002AAA')],
          };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('never follows nextRecordsUrl: the next page is a new keyset query after the last Id received', async () => {
    const lead = { ...config.crm['salesforce']!, contact: undefined } as unknown as NonNullable<
      (typeof config.crm)['salesforce']
    >;
    const leadsOnly = { ...config, crm: { ...config.crm, salesforce: lead } };
    const conn = new Connection({ instanceUrl: url, accessToken: 'token', version: '61.0' });
    const crm = new SalesforceAdapter({ config: leadsOnly, connection: async () => conn, limiter: limiter() });
    const first = await crm.listContacts(sfTenant, { cursor: null });
    expect(first.contacts.map((c) => c.id)).toEqual(['00Q000000000001AAA', '00Q000000000002AAA']);
    expect(first.next).toBe('lead:00Q000000000002AAA');
    const second = await crm.listContacts(sfTenant, { cursor: first.next });
    expect(second).toEqual({ contacts: [], next: null });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/^SELECT Id, .+ FROM Lead WHERE IsConverted = false ORDER BY Id ASC LIMIT 2000$/);
    expect(seen[1]).toMatch(
      / FROM Lead WHERE IsConverted = false AND Id > '00Q000000000002AAA' ORDER BY Id ASC LIMIT 2000$/,
    );
  });
});
