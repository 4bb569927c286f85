// npm run bench:reconcile — the reconciliation sweep's cost: M of N HubSpot contacts change in the
// CRM without a webhook reaching leadstage; one sweep run finds them through the search API
// (lastmodifieddate since the watermark, 200 a page) against the sandbox over HTTP, and queues
// exactly those whose data differs from what leadstage last saw. Prints calls per 1,000 modified.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { reconcileTenant } from '../jobs/reconcile-tenant.ts';
import { loadConfigFile } from '../src/config/load-config.ts';
import { HubSpotAdapter } from '../src/crm/hubspot/hubspot-adapter.ts';
import { hubspotPropertySpecs } from '../src/crm/hubspot/hubspot-setup.ts';
import { Keys } from '../src/platform/keys.ts';
import { deleteByPrefix } from '../src/platform/redis.ts';
import { SandboxCrm } from '../src/sandbox/sandbox-crm.ts';
import { DecayStore } from '../src/store/decay-store.ts';
import { TenantRateLimiter } from '../src/store/rate-limiter.ts';
import { FakeClock } from '../test/fakes/fake-clock.ts';
import { FakeRecomputeStore } from '../test/fakes/fake-stores.ts';

export async function runReconcileBench(opts: { contacts: number; modified: number }) {
  const loaded = loadConfigFile('config/leadstage.yaml');
  if (!loaded.ok) throw loaded.error;
  const sandbox = new SandboxCrm();
  sandbox.hubspot.addProperties(hubspotPropertySpecs(loaded.config).map((p) => p.name));
  sandbox.hubspot.rateLimit = { max: 10_000, windowMs: 10_000 };
  await sandbox.start();
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const keys = new Keys(`lsrec${randomBytes(3).toString('hex')}`);
  const tenant = { crm: 'hubspot', id: '62515' };
  try {
    for (let i = 0; i < opts.contacts; i++) {
      const id = String(200_000 + i);
      sandbox.hubspot.contacts.set(id, {
        id,
        properties: {
          email: `r${i}@example.com`,
          jobtitle: 'Analyst',
          industry: 'Retail',
          lifecyclestage: 'subscriber',
        },
      });
      sandbox.hubspot.modifiedAt.set(id, Date.now() - 3_600_000);
    }
    const crm = new HubSpotAdapter({
      config: loaded.config,
      accessToken: async () => 'pat-sandbox',
      basePath: sandbox.url,
      retries: 0,
      limiter: new TenantRateLimiter(redis, keys, { max: 10_000, windowMs: 10_000, maxInlineWaitMs: 5_000 }),
    });
    // What leadstage last saw: every contact as read (as a recompute records it).
    const known = new DecayStore(redis, keys);
    const ids = [...sandbox.hubspot.contacts.keys()];
    for (let i = 0; i < ids.length; i += 100) {
      const read = await crm.readContacts(
        tenant,
        ids.slice(i, i + 100).map((id) => ({ objectType: 'contact', id })),
      );
      await known.record(
        tenant,
        [...read.values()].map((snapshot) => ({ snapshot, nextChangeAt: null })),
      );
    }
    const watermark = Date.now() - 60_000;
    for (const id of ids.slice(0, opts.modified)) sandbox.hubspot.setPropertySilently(id, 'jobtitle', 'VP Sales'); // no webhook
    const pending = new FakeRecomputeStore();
    const calls0 = crm.calls;
    let stored: number | null = watermark;
    const r = await reconcileTenant(tenant, {
      crm,
      known,
      clock: new FakeClock(Date.now()),
      maxRecords: 10_000,
      maxQuotaShare: 0.8,
      markPending: (t, refs) => pending.markPending(t, refs),
      watermark: { get: async () => stored, set: async (_t, ms) => void (stored = ms) },
    });
    return {
      ...r,
      contacts: opts.contacts,
      modified: opts.modified,
      queuedExactly: (await pending.pendingCount(tenant)) === opts.modified,
      calls: crm.calls - calls0,
    };
  } finally {
    await sandbox.stop();
    await deleteByPrefix(redis, keys.prefix);
    await redis.quit();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runReconcileBench({
    contacts: Number(process.env['BENCH_CONTACTS'] ?? 5_000),
    modified: Number(process.env['BENCH_MODIFIED'] ?? 1_000),
  });
  console.log(
    `bench:reconcile  ${r.modified} of ${r.contacts} contacts changed without a webhook: the sweep saw ${r.seen}, queued ${r.queued} ` +
      `(exactly the changed ones: ${r.queuedExactly}), ${r.calls} CRM calls → ${((1000 * r.calls) / r.modified).toFixed(1)} calls per 1,000 modified`,
  );
}
