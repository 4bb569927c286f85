// npm run bench:decay — decay reaching the CRM, for N contacts over D simulated days (defaults
// 100,000 and 90), on the in-process fakes with a fixed clock moved an hour at a time. Each hour
// the due contacts are replanned from their stored state and only changed ones are written.
// Floor: the pages of batch writes (100 contacts each) the changed contacts need each hour.
// Goal: CRM calls ≤ 1.1 × floor, with no timer job per contact (one sorted set per tenant).
import { decayTenant } from '../jobs/decay-tenant.ts';
import { recomputeTenant } from '../jobs/recompute-tenant.ts';
import { loadConfigFile } from '../src/config/load-config.ts';
import { createLogger } from '../src/platform/logger.ts';
import { FakeClock } from '../test/fakes/fake-clock.ts';
import { FakeCrm } from '../test/fakes/fake-crm.ts';
import { FakeActivities, FakeDeadLetters, FakeRecomputeStore } from '../test/fakes/fake-stores.ts';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Keys } from '../src/platform/keys.ts';
import { deleteByPrefix } from '../src/platform/redis.ts';
import { DecayStore } from '../src/store/decay-store.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PAGE = 100;

export async function runDecayBench(opts: { contacts: number; days: number; seed?: number }) {
  const loaded = loadConfigFile('config/leadstage.yaml');
  if (!loaded.ok) throw loaded.error;
  const config = loaded.config;
  const tenant = { crm: 'hubspot', id: '62515' };
  const start = Date.parse('2026-09-01T12:00:00Z');
  const clock = new FakeClock(start);
  const crm = new FakeCrm();
  const store = new FakeRecomputeStore();
  // The schedule and snapshots on a real Redis (one sorted set for the tenant); the CRM faked.
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const prefix = `lsdecay${randomBytes(3).toString('hex')}`;
  const decay = new DecayStore(redis, new Keys(prefix));
  try {
    const activities = new FakeActivities();
    const log = createLogger('silent');
    let seed = opts.seed ?? 7;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const kinds = ['email_open', 'email_click', 'page_view', 'content_download', 'webinar_attended'];
    for (let i = 0; i < opts.contacts; i++) {
      const id = String(100_000 + i);
      crm.add({
        objectType: 'contact',
        id,
        stage: 'subscriber',
        leadStatus: null,
        ownerId: null,
        fields: { industry: 'Retail', jobTitle: 'Analyst' },
      });
      const n = 1 + Math.floor(rand() * 4);
      activities.byContact.set(
        id,
        Array.from({ length: n }, (_, k) => ({
          id: `${id}-${k}`,
          type: kinds[Math.floor(rand() * kinds.length)]!,
          at: start - Math.floor(rand() * 60 * DAY),
          attributes: {},
        })),
      );
    }
    await store.markPending(
      tenant,
      [...crm.contacts.keys()].map((id) => ({ objectType: 'contact', id })),
    );
    const deps = {
      config,
      crm,
      activities,
      store,
      decay,
      deadLetters: new FakeDeadLetters(),
      clock,
      log,
      batchSize: 1_000,
      owners: async () => [],
    };
    while ((await recomputeTenant(tenant, deps)).morePending);
    const scheduled = await redis.zcard(new Keys(prefix).decaySchedule(tenant));

    // The decay period: only decay's CRM calls count from here.
    const initialReads = crm.callLog.filter((c) => c === 'read').length;
    let calls = 0;
    let floor = 0;
    let changed = 0;
    const t0 = Date.now();
    for (let h = 1; h <= opts.days * 24; h++) {
      clock.advance(HOUR);
      let hourChanged = 0;
      for (;;) {
        const before = crm.writes.length;
        const s = await decayTenant(tenant, {
          config,
          crm,
          activities,
          decay,
          clock,
          log,
          batchSize: 200,
          markPending: (t, r) => store.markPending(t, r),
        });
        const written = crm.writes.length - before;
        calls += Math.ceil(written / PAGE); // the adapter sends writes in calls of 100
        hourChanged += written;
        if (!s.more) break;
      }
      changed += hourChanged;
      floor += Math.ceil(hourChanged / PAGE);
    }
    return {
      contacts: opts.contacts,
      days: opts.days,
      scheduled,
      changed,
      calls,
      floor,
      reads: crm.callLog.filter((c) => c === 'read').length - initialReads,
      ratio: floor ? calls / floor : 1,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await deleteByPrefix(redis, prefix);
    await redis.quit();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runDecayBench({
    contacts: Number(process.env['BENCH_CONTACTS'] ?? 100_000),
    days: Number(process.env['BENCH_DAYS'] ?? 90),
  });
  console.log(
    `bench:decay  ${r.contacts} contacts over ${r.days} simulated days (${r.scheduled} scheduled): ${r.changed} decayed writes, ` +
      `${r.calls} CRM calls (${r.reads} reads) vs floor ${r.floor} → ${r.ratio.toFixed(3)}× (goal ≤ 1.1×); no per-contact timers; ${r.seconds.toFixed(1)} s`,
  );
}
