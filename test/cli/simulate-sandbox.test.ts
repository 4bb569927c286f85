import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { hubspotPropertySpecs } from '../../src/crm/hubspot/hubspot-setup.ts';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// `leadstage simulate` end to end: the real HubSpot adapter over HTTP against the sandbox (its
// contacts list, https://developers.hubspot.com/docs/api-reference/crm-contacts-v3/basic/get-crm-v3-objects-contacts,
// paged by `after`, 100 a page), with activities, rotation and stage entries in a real Redis.
// The new config lowers the MQL engagement bar from 25 to 10: the 120 engaged VPs become MQLs.
const ROOT = new URL('../..', import.meta.url).pathname;
const prefix = `lssim${randomBytes(3).toString('hex')}`;
const keys = new Keys(prefix);
const tenant = { crm: 'hubspot', id: '62515' };
const NOW = new Date('2026-11-23T15:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'lssimsb-'));
const NEW = join(dir, 'new.yaml');
writeFileSync(
  NEW,
  readFileSync(`${ROOT}config/leadstage.yaml`, 'utf8').replace(
    'marketingqualifiedlead: { minScore: 60, minGrade: B, minEngagement: 25 }',
    'marketingqualifiedlead: { minScore: 60, minGrade: B, minEngagement: 10 }',
  ),
);
let sandbox: SandboxCrm;
let redis: Redis;

/** Every key under the test's prefix with its value (DUMP): what "nothing written" compares. */
async function redisState(): Promise<string> {
  const out: string[] = [];
  for (const k of (await redis.keys(`${prefix}*`)).sort()) out.push(`${k} ${JSON.stringify(await redis.dump(k))}`);
  return out.join('\n');
}

beforeAll(async () => {
  sandbox = new SandboxCrm();
  sandbox.hubspot.addProperties(hubspotPropertySpecs(defaultConfig()).map((p) => p.name));
  sandbox.hubspot.owners.push(
    { id: '1001', archived: false },
    { id: '1002', archived: false },
    { id: '1003', archived: false },
  );
  redis = new Redis(REDIS_URL);
  for (let i = 0; i < 180; i++) {
    const id = String(1000 + i);
    const engaged = i < 120;
    sandbox.hubspot.contacts.set(id, {
      id,
      properties: engaged
        ? {
            email: `vp${i}@northwind.io`,
            jobtitle: 'VP Marketing',
            industry: 'Software',
            numemployees: '100-500',
            country: 'United States',
            lifecyclestage: 'lead',
          }
        : { email: `s${i}@example.com`, lifecyclestage: 'subscriber' },
    });
    if (engaged) {
      // As ingress stored them, plus one older than maxAgeDays that a worker's read would trim.
      await redis.hset(
        keys.activities(tenant, id),
        'feed:d',
        JSON.stringify({ at: NOW.getTime() - 3_600_000, type: 'content_download', attributes: {} }),
        'feed:o',
        JSON.stringify({ at: NOW.getTime() - 3_600_000, type: 'email_open', attributes: {} }),
        'feed:old',
        JSON.stringify({ at: NOW.getTime() - 400 * 86_400_000, type: 'email_open', attributes: {} }),
      );
    }
  }
  await sandbox.start();
});
afterAll(async () => {
  await sandbox.stop();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

const run = async (args: string[]) => {
  let stdout = '';
  let stderr = '';
  const files = new Map<string, string>();
  const code = await main(
    ['simulate', ...args],
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      readFile: () => '',
      writeFile: (p, t) => void files.set(p, t),
      env: {
        REDIS_URL,
        LEADSTAGE_REDIS_PREFIX: prefix,
        LEADSTAGE_CONFIG: `${ROOT}config/leadstage.yaml`,
        HUBSPOT_ACCESS_TOKEN: 'pat-sandbox',
        HUBSPOT_PORTAL_ID: '62515',
        HUBSPOT_API_BASE_URL: sandbox.url,
      },
    },
    () => NOW,
  );
  return { code, stdout, stderr, files };
};

describe('leadstage simulate (sandbox HubSpot, real Redis)', () => {
  it('reads the account in pages, reports the moves, tasks and cost, and writes nothing to the CRM or Redis', async () => {
    const before = await redisState();
    const r = await run(['--config', NEW, '--json', '--html', 'report.html']); // the one account served: no --tenant needed
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ tenant: 'hubspot:62515', contacts: 180 });
    const at = (from: string, to: string) =>
      out.stages.matrix[out.stages.labels.indexOf(from)][out.stages.labels.indexOf(to)];
    expect(at('lead', 'marketingqualifiedlead')).toBe(120);
    expect(at('subscriber', 'subscriber')).toBe(60);
    expect(out.tasks).toEqual({
      total: 120,
      baseline: 0,
      byOwner: [
        { ownerId: '1001', name: 'rep-1', count: 80 },
        { ownerId: '1002', name: 'rep-2', count: 40 },
      ],
    });
    // Reads as this run made them (2 list pages of 100, the owners); 180 changed (first score), 100 a
    // batch: 2 writes; tasks with each applied batch: the 100 of page 1, then the 20 left at the end.
    const made = [...sandbox.calls.values()].reduce((a, b) => a + b, 0);
    expect(out.crmCallsMade).toBe(made);
    expect(out.cost).toMatchObject({
      changedContacts: 180,
      readCalls: made,
      writeCalls: 2,
      taskCalls: 2,
      totalCalls: made + 4,
    });
    expect(out.cost.limit.windowMs).toBe(10_000);
    const routes = [...sandbox.calls.keys()];
    expect(routes.every((route) => route.startsWith('GET '))).toBe(true);
    expect(sandbox.calls.get('GET /crm/v3/objects/contacts')).toBe(2);
    // Only the shared quota's bookkeeping moved: each call took its slot (so live workers are paced
    // with it) and HubSpot's announced limit was learned. No activity trimmed, no rotation, no entry.
    const after = await redisState();
    const moved = after
      .split('\n')
      .filter((l) => !before.split('\n').includes(l))
      .map((l) => l.slice(0, l.indexOf(' ')));
    expect(moved.sort()).toEqual([keys.quota(tenant), keys.quotaLimit(tenant)].sort());
    const unchanged = (state: string) =>
      state
        .split('\n')
        .filter((l) => !l.startsWith(keys.quota(tenant)))
        .join('\n');
    expect(unchanged(after)).toBe(unchanged(before));
    expect(await redis.hlen(keys.activities(tenant, '1000'))).toBe(3);
    expect(r.files.get('report.html')).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  });

  it('exit 1 when the new config is invalid; exit 1 for an account not served here', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(NEW, 'utf8').replace('halfLifeDays: 30', 'halfLifeDays: -1'));
    const r1 = await run(['--config', bad, '--tenant', 'hubspot:62515']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/bad\.yaml:\d+ engagement\.halfLifeDays: /);
    const r2 = await run(['--config', NEW, '--tenant', 'hubspot:99999']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/hubspot:99999 is not an account leadstage serves here/);
  });
});

describe('leadstage simulate (sandbox Salesforce)', () => {
  it("reads Leads then Contacts in pages and counts their batch writes apart, at the org's quota", async () => {
    const sf = sandbox.salesforce;
    for (let i = 0; i < 250; i++) {
      const Id = sf.newId('Lead');
      sf.records.Lead.set(Id, {
        Id,
        Email: `l${i}@example.com`,
        Title: 'Analyst',
        Company: `Co ${i}`,
        IsConverted: false,
      });
    }
    for (let i = 0; i < 30; i++) {
      const Id = sf.newId('Contact');
      sf.records.Contact.set(Id, { Id, Email: `c${i}@example.com`, Title: 'Analyst' });
    }
    const callsBefore = new Map(sandbox.calls);
    let stdout = '';
    let stderr = '';
    const code = await main(
      ['simulate', '--config', NEW, '--tenant', 'salesforce:00D5g000004SxyzEAC', '--json'],
      {
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
        readFile: () => '',
        env: {
          REDIS_URL,
          LEADSTAGE_REDIS_PREFIX: prefix,
          LEADSTAGE_CONFIG: `${ROOT}config/leadstage.yaml`,
          SALESFORCE_INSTANCE_URL: sandbox.url,
          SALESFORCE_ACCESS_TOKEN: 'sandbox-access-token',
          SALESFORCE_ORG_IDS: '00D5g000004SxyzEAC',
          SALESFORCE_REQUESTS_PER_WINDOW: '3',
          SALESFORCE_WINDOW_MS: '1000',
        },
      },
      () => NOW,
    );
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout);
    const seeded =
      [...sf.records.Lead.values()].filter((r) => r['IsConverted'] !== true).length + sf.records.Contact.size;
    expect(out.contacts).toBe(seeded);
    // Every record gets its first score. Leads and Contacts go in separate calls of 200:
    // ceil(leads / 200) + ceil(contacts / 200) writes; one listing page per kind (2,000 a page).
    expect(out.crmCallsMade).toBe(3); // + the owners (one SOQL query of Users)
    const leads = [...sf.records.Lead.values()].filter((r) => r['IsConverted'] !== true).length;
    expect(out.cost).toMatchObject({
      changedContacts: seeded,
      readCalls: out.crmCallsMade,
      writeCalls: Math.ceil(leads / 200) + Math.ceil(sf.records.Contact.size / 200),
      limit: { max: 3, windowMs: 1000 },
    });
    expect(out.cost.seconds).toBe(Math.floor((out.cost.totalCalls - 1) / 3)); // 3 calls a second
    expect(out.cost.seconds).toBeGreaterThan(0);
    expect(out.cost.rescoreSeconds).toBe(Math.floor((out.cost.totalCalls - 1) / 2)); // the rescore's 80 %: 2 a second
    const made = [...sandbox.calls].filter(([route, n]) => n !== (callsBefore.get(route) ?? 0)).map(([route]) => route);
    expect(made.length).toBeGreaterThan(0);
    expect(made.every((route) => route.startsWith('GET '))).toBe(true);
  });
});
