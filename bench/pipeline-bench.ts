// npm run bench:pipeline — one portal against the sandbox at HubSpot's 110 requests per 10 s:
//   throughput  sustained contacts/s vs the ceiling those limits allow (goal ≥ 0.8×)
//   latency     webhook received → CRM written, p50/p99, at about half the quota (goal ≤ 1 s / ≤ 3 s)
//   rescore     rescore every contact of the portal vs the time the quota makes necessary (goal ≤ 1.15×)
// The whole real pipeline runs: signed webhooks → web service → Redis/BullMQ → worker → sandbox.
import { hubspotPropertySpecs } from '../src/crm/hubspot/hubspot-setup.ts';
import { HubSpotAdapter } from '../src/crm/hubspot/hubspot-adapter.ts';
import { TenantRateLimiter } from '../src/store/rate-limiter.ts';
import { LOCAL, startPipeline, type Pipeline } from '../src/demo/pipeline.ts';
import { Keys } from '../src/platform/keys.ts';
import { rescoreTenant } from '../jobs/rescore-tenant.ts';
import { rescoreDeps } from './rescore-wiring.ts';
import { signV3 } from '../webhooks/hubspot/hubspot-signature.ts';

const QUOTA = { max: 110, windowMs: 10_000 };
/** The share of the window a rescore (low priority) may fill: the limiter's default. */
const LOW_SHARE = 0.8;
const CALLS_PER_100 = 2; // one batch read + one batch update per 100 contacts (no tasks)
const CEILING = ((QUOTA.max / QUOTA.windowMs) * 1000 * 100) / CALLS_PER_100; // contacts/s

async function setUp(contacts: number): Promise<Pipeline> {
  const p = await startPipeline({
    seed: false,
    logLevel: 'silent',
    env: { BATCH_WINDOW_MS: '250', WORKER_CONCURRENCY: '2' },
  });
  p.sandbox.hubspot.addProperties(hubspotPropertySpecs(p.config).map((s) => s.name));
  p.sandbox.hubspot.owners.push({ id: '1001', archived: false });
  for (let i = 0; i < contacts; i++) {
    // Subscribers who just opened an e-mail: scored and written, no stage change or task.
    p.sandbox.hubspot.contacts.set(String(100_000 + i), {
      id: String(100_000 + i),
      properties: {
        email: `c${i}@example.com`,
        jobtitle: 'Engineer',
        industry: 'Retail',
        lifecyclestage: 'subscriber',
      },
    });
  }
  return p;
}

let eventId = 0;
/** Signed HubSpot webhooks to leadstage at `to.url`: an e-mail open for each contact, 100 events a request. */
export async function postOpens(to: { url: string }, ids: readonly string[], portalId = LOCAL.portalId): Promise<void> {
  for (let i = 0; i < ids.length; i += 100) {
    const now = Date.now();
    const body = Buffer.from(
      JSON.stringify(
        ids.slice(i, i + 100).map((id) => ({
          eventId: ++eventId,
          subscriptionId: 1,
          portalId: Number(portalId),
          appId: 1,
          occurredAt: now,
          subscriptionType: 'contact.propertyChange',
          attemptNumber: 0,
          objectId: Number(id),
          propertyName: 'hs_email_last_open_date',
          propertyValue: String(now - 60_000),
          changeSource: 'CRM',
        })),
      ),
    );
    const ts = String(now);
    const res = await fetch(`${to.url}/webhooks/hubspot`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-hubspot-request-timestamp': ts,
        'x-hubspot-signature-v3': signV3(LOCAL.hubspotSecret, 'POST', `${to.url}/webhooks/hubspot`, body, ts),
      },
    });
    if (res.status !== 204) throw new Error(`ingest answered ${res.status}`);
  }
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** A burst of N contacts; the rate is measured after the first window, once the quota binds. */
export async function runThroughput(contacts: number) {
  const p = await setUp(contacts);
  try {
    const ids = [...p.sandbox.hubspot.contacts.keys()];
    const t0 = Date.now();
    await postOpens(p, ids);
    await p.drained(600_000);
    const writes = [...p.sandbox.hubspot.firstWrite.values()].sort((a, b) => a - b);
    const total = (writes.at(-1)! - t0) / 1000;
    // Sustained: writes after the first quota window (its burst of 110 calls is free) until the end.
    const from = t0 + QUOTA.windowMs;
    const later = writes.filter((w) => w >= from);
    const sustained = later.length > 1 ? later.length / ((later.at(-1)! - from) / 1000) : NaN;
    return {
      contacts,
      seconds: total,
      overall: contacts / total,
      sustained,
      ceiling: CEILING,
      ratio: sustained / CEILING,
      calls: p.sandbox.totalCalls,
      // HubSpot's marketplace asks for under 5 % of calls answered 429; our goal is under 1 %.
      tooMany: p.sandbox.hubspot.tooManyRequests,
    };
  } finally {
    await p.stop();
  }
}

/** A steady stream for `seconds` at `perSecond` contacts/s; latency from post to first write. */
export async function runLatency(perSecond: number, seconds: number) {
  const p = await setUp(perSecond * seconds);
  try {
    const ids = [...p.sandbox.hubspot.contacts.keys()];
    const posted = new Map<string, number>();
    const t0 = Date.now();
    const tickMs = 100;
    for (let tick = 0, sent = 0; sent < ids.length; tick++) {
      const due = Math.min(ids.length, Math.round(((tick + 1) * tickMs * perSecond) / 1000));
      const batch = ids.slice(sent, due);
      const at = Date.now();
      await postOpens(p, batch);
      for (const id of batch) posted.set(id, at);
      sent = due;
      const wait = t0 + (tick + 1) * tickMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await p.drained(600_000);
    const lat = ids.map((id) => p.sandbox.hubspot.firstWrite.get(id)! - posted.get(id)!).sort((a, b) => a - b);
    const elapsed = (Date.now() - t0) / 1000;
    return {
      perSecond,
      seconds,
      p50Ms: pct(lat, 0.5),
      p99Ms: pct(lat, 0.99),
      maxMs: lat.at(-1)!,
      callsPerSecond: p.sandbox.totalCalls / elapsed,
      quotaPerSecond: QUOTA.max / (QUOTA.windowMs / 1000),
    };
  } finally {
    await p.stop();
  }
}

/** Rescore every contact of the portal; compare with the time the quota makes necessary. */
export async function runRescore(contacts: number) {
  const p = await setUp(contacts);
  try {
    const keys = new Keys(p.env.LEADSTAGE_REDIS_PREFIX);
    // As `leadstage rescore` runs: low priority, so it fills at most LOW_SHARE of each window.
    const limiter = new TenantRateLimiter(p.web.redis, keys, {
      ...QUOTA,
      maxInlineWaitMs: 60_000,
      priority: 'low',
      lowShare: LOW_SHARE,
    });
    const crm = new HubSpotAdapter({
      config: p.config,
      accessToken: async () => 'pat-sandbox',
      basePath: p.sandbox.url,
      limiter,
    });
    const t0 = Date.now();
    // The rescore reads and writes itself (one list call and, for changes, one write per 100).
    const { read: queued } = await rescoreTenant(
      { crm: 'hubspot', id: LOCAL.portalId },
      rescoreDeps(p.web.redis, keys, p.config, crm),
    );
    const seconds = (Date.now() - t0) / 1000;
    const calls = p.sandbox.totalCalls;
    await p.drained(600_000); // our writes' echo webhooks, before the pipeline stops
    if (process.env['BENCH_PROFILE']) {
      const perSecond = new Map<number, number>();
      const unit = Number(process.env['BENCH_PROFILE']) > 1 ? Number(process.env['BENCH_PROFILE']) : 1000;
      for (const t of p.sandbox.callTimes)
        perSecond.set(Math.floor((t - t0) / unit), (perSecond.get(Math.floor((t - t0) / unit)) ?? 0) + 1);
      console.log(
        '  calls per second:',
        [...perSecond.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([s2, n]) => `${s2}s:${n}`)
          .join(' '),
      );
    }
    // A rolling window refills in waves: the first `max` calls may go at once, call max+1 only when
    // the first has aged out, call 2·max+1 a window later. So C calls need ⌊(C−1)/max⌋ windows —
    // with `max` the low-priority share of the window the rescore may use.
    const lowMax = Math.floor(QUOTA.max * LOW_SHARE);
    const necessary = (Math.floor((calls - 1) / lowMax) * QUOTA.windowMs) / 1000;
    return {
      contacts,
      queued,
      seconds,
      calls,
      necessarySeconds: necessary,
      ratio: necessary > 0 ? seconds / necessary : NaN,
    };
  } finally {
    await p.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const what = process.argv[2] ?? 'all';
  console.log(
    `bench:pipeline  one portal, quota ${QUOTA.max} requests / ${QUOTA.windowMs / 1000} s (sandbox and leadstage), Node ${process.version}`,
  );
  if (what === 'all' || what === 'throughput') {
    const r = await runThroughput(Number(process.env['BENCH_CONTACTS'] ?? 12_000));
    console.log(
      `  throughput  ${r.contacts} contacts in ${r.seconds.toFixed(1)} s (${r.calls} calls); sustained ${r.sustained.toFixed(0)} contacts/s vs ceiling ${r.ceiling.toFixed(0)} → ${r.ratio.toFixed(2)}×  (goal ≥ 0.8×); 429s ${r.tooMany} = ${((100 * r.tooMany) / r.calls).toFixed(2)} % of calls (goal < 1 %)`,
    );
  }
  if (what === 'all' || what === 'latency') {
    const r = await runLatency(Number(process.env['BENCH_RATE'] ?? 100), Number(process.env['BENCH_SECONDS'] ?? 20));
    console.log(
      `  latency     ${r.perSecond} contacts/s for ${r.seconds} s at ${r.callsPerSecond.toFixed(1)} calls/s (quota ${r.quotaPerSecond}/s): p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms  (goal ≤ 1000 / ≤ 3000 ms)`,
    );
  }
  if (what === 'all' || what === 'rescore') {
    const r = await runRescore(Number(process.env['BENCH_RESCORE'] ?? 10_000));
    console.log(
      `  rescore     ${r.contacts} contacts: ${r.seconds.toFixed(1)} s for ${r.calls} calls; its share of the quota (${LOW_SHARE * 100} %) makes ${r.necessarySeconds.toFixed(1)} s necessary → ${r.ratio.toFixed(2)}×  (goal ≤ 1.15×)`,
    );
  }
}
