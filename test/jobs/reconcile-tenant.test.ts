import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileTenant, type ReconcileDeps } from '../../jobs/reconcile-tenant.ts';
import type { ContactSnapshot } from '../../src/core/types.ts';
import { SalesforceAdapter } from '../../src/crm/salesforce/salesforce-adapter.ts';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { TenantRateLimiter } from '../../src/store/rate-limiter.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { FakeRecomputeStore } from '../fakes/fake-stores.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// The reconciliation sweep on Salesforce: Leads and Contacts changed in the org without an
// outbound message reaching leadstage are found by SystemModstamp (SOQL against the sandbox over
// real HTTP through jsforce) and queued; those leadstage already saw as they are are not.
const tenant = { crm: 'salesforce', id: '00D5g000004SxyzEAC' } as const;
const HOUR_AGO = Date.now() - 3_600_000;
let sandbox: SandboxCrm;
let redis: Redis;
let keys: Keys;
let crm: SalesforceAdapter;
const known = new Map<string, ContactSnapshot>();
const changed = new Set<string>();

const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  sandbox = new SandboxCrm();
  const sf = sandbox.salesforce;
  for (let i = 0; i < 250; i++) {
    const Id = sf.newId('Lead');
    sf.records.Lead.set(Id, {
      Id,
      Email: `l${i}@example.com`,
      Title: 'Analyst',
      Company: `Co ${i}`,
      IsConverted: false,
      SystemModstamp: iso(HOUR_AGO),
    });
  }
  for (let i = 0; i < 120; i++) {
    const Id = sf.newId('Contact');
    sf.records.Contact.set(Id, { Id, Email: `c${i}@example.com`, Title: 'Analyst', SystemModstamp: iso(HOUR_AGO) });
  }
  await sandbox.start();
  redis = new Redis(REDIS_URL);
  keys = new Keys(`lsrecon${randomBytes(4).toString('hex')}`);
  const conn = new Connection({ instanceUrl: sandbox.url, accessToken: 'sandbox-access-token', version: '61.0' });
  crm = new SalesforceAdapter({
    config: defaultConfig(),
    connection: async () => conn,
    limiter: new TenantRateLimiter(redis, keys, { max: 1_000, windowMs: 1_000, maxInlineWaitMs: 1_000 }),
  });
  // What leadstage last saw: every record as read.
  for (const [objectType, table] of [
    ['lead', sf.records.Lead],
    ['contact', sf.records.Contact],
  ] as const) {
    const read = await crm.readContacts(
      tenant,
      [...table.keys()].map((id) => ({ objectType, id })),
    );
    for (const [id, s] of read) known.set(id, s);
  }
  // Then, in the last minute and with no outbound message: 60 Leads and 40 Contacts edited by a
  // person, interleaved in time (ten a second, so many share a SystemModstamp second), one Lead
  // converted (no longer scored as a Lead), and 20 Leads touched with nothing leadstage reads changed.
  const leads = [...sf.records.Lead.values()];
  const contacts = [...sf.records.Contact.values()];
  const t0 = Date.now() - 50_000;
  for (let i = 0; i < 100; i++) {
    const r = i % 5 < 3 ? leads[Math.floor(i / 5) * 3 + (i % 5)]! : contacts[Math.floor(i / 5) * 2 + (i % 5) - 3]!;
    Object.assign(r, { Title: 'VP Sales', SystemModstamp: iso(t0 + i * 100) });
    changed.add(r.Id);
  }
  Object.assign(leads[200]!, { IsConverted: true, Title: 'CEO', SystemModstamp: iso(t0 + 5_000) });
  for (const r of leads.slice(220, 240)) r['SystemModstamp'] = iso(t0 + 7_000);
});

afterAll(async () => {
  await sandbox?.stop();
  await deleteByPrefix(redis, keys.prefix);
  await redis.quit();
});

function deps(
  maxRecords: number,
  stored: { ms: number | null },
  pending: FakeRecomputeStore,
  clockMs = Date.now(),
): ReconcileDeps {
  return {
    crm,
    clock: new FakeClock(clockMs),
    maxRecords,
    maxQuotaShare: 0.8,
    settleMs: 300_000,
    known: {
      snapshots: async (_t, ids) =>
        new Map(ids.flatMap((id) => (known.has(id) ? [[id, known.get(id)!] as const] : []))),
    },
    markPending: (t, refs) => pending.markPending(t, refs),
    watermark: { get: async () => stored.ms, set: async (_t, ms) => void (stored.ms = ms) },
  };
}
/** The SystemModstamps of the open records, as whole seconds (as Salesforce keeps them). */
const sandboxStamps = () =>
  [...sandbox.salesforce.records.Lead.values(), ...sandbox.salesforce.records.Contact.values()]
    .filter((r) => r['IsConverted'] !== true)
    .map((r) => Math.floor(Date.parse(String(r['SystemModstamp'])) / 1000) * 1000);
const queued = (p: FakeRecomputeStore) =>
  new Set([...(p.pending.get('salesforce:00D5g000004SxyzEAC') ?? [])].map((m) => m.split(':').at(-1)!));

describe('reconcileTenant on Salesforce', () => {
  it('queues exactly the Leads and Contacts changed since the watermark, in a few SOQL queries', async () => {
    const pending = new FakeRecomputeStore();
    const stored = { ms: (Date.now() - 60_000) as number | null };
    const before = crm.calls;
    const r = await reconcileTenant(tenant, deps(10_000, stored, pending));
    expect(queued(pending)).toEqual(changed);
    expect(r).toMatchObject({ seen: 120, queued: 100, stopped: 'done' });
    expect(crm.calls - before).toBe(2); // one page of Leads, one of Contacts
    expect(stored.ms).toBe(Math.max(...sandboxStamps()));
  });

  it('runs stopped at their limit miss nothing and get past a second holding more records than the limit', async () => {
    // 30 records share one second (20 touched + 10 edited), more than a run's 25; the runs happen
    // once those stamps have settled (10 minutes later).
    const pending = new FakeRecomputeStore();
    const stored = { ms: (Date.now() - 60_000) as number | null };
    const marks: number[] = [];
    let last = '';
    for (let run = 0; run < 20 && last !== 'done'; run++) {
      last = (await reconcileTenant(tenant, deps(25, stored, pending, Date.now() + 600_000))).stopped;
      marks.push(stored.ms!);
    }
    expect(last).toBe('done');
    expect(queued(pending)).toEqual(changed);
    expect(marks).toEqual([...marks].sort((a, b) => a - b));
    expect(marks.length).toBeGreaterThan(2); // the limit did cut the sweep into runs
  });

  it('keeps the watermark on a recent stamp (inclusive): a record committed late with it is not skipped', async () => {
    const pending = new FakeRecomputeStore();
    const stored = { ms: (Date.now() - 60_000) as number | null };
    await reconcileTenant(tenant, deps(10_000, stored, pending));
    const newest = Math.max(...[...sandboxStamps()]);
    expect(stored.ms).toBe(newest);
    await reconcileTenant(tenant, deps(10_000, stored, pending, Date.now() + 600_000));
    expect(stored.ms).toBe(newest + 1);
  });

  it('pages past 200 records of one sObject by (SystemModstamp, Id), none repeated or skipped', async () => {
    const seen: string[] = [];
    for await (const page of crm.listModifiedSince(tenant, new Date(HOUR_AGO - 1_000), 10_000)) {
      seen.push(...page.map((p) => p.snapshot.id));
      const times = page.map((p) => p.modifiedAt);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
    expect(seen).toHaveLength(249 + 120); // every open Lead and every Contact, once
    expect(new Set(seen).size).toBe(seen.length);
  });
});
