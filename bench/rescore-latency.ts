// bench:rescore's second measurement: live webhook → CRM write latency while a rescore runs vs idle,
// one HubSpot portal at its real 110 requests / 10 s, the whole pipeline (see pipeline-bench.ts).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rescoreTenant } from '../jobs/rescore-tenant.ts';
import { HubSpotAdapter } from '../src/crm/hubspot/hubspot-adapter.ts';
import { hubspotPropertySpecs } from '../src/crm/hubspot/hubspot-setup.ts';
import { LOCAL, startPipeline, type Pipeline } from '../src/demo/pipeline.ts';
import { Keys } from '../src/platform/keys.ts';
import { TenantRateLimiter } from '../src/store/rate-limiter.ts';
import { postOpens } from './pipeline-bench.ts';
import { rescoreDeps } from './rescore-wiring.ts';

const QUOTA = { max: 110, windowMs: 10_000 };
const tenant = { crm: 'hubspot', id: LOCAL.portalId };

export interface LatencyOptions {
  rescoreContacts: number;
  /** Live contacts per second (each an e-mail open webhook), for `seconds`, idle and during the rescore. */
  perSecond: number;
  seconds: number;
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** Post opens for `ids` at `perSecond`; resolves with each contact's latency to its next score write. */
async function stream(
  p: Pipeline,
  ids: string[],
  perSecond: number,
  writes: Map<string, number[]>,
): Promise<{ p50: number; p99: number; max: number }> {
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
  const written = (id: string) => (writes.get(id) ?? []).find((t) => t >= posted.get(id)!);
  for (const end = Date.now() + 120_000; ids.some((id) => written(id) === undefined);) {
    if (Date.now() > end) throw new Error('live contacts were not written within 2 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const lat = ids.map((id) => written(id)! - posted.get(id)!).sort((a, b) => a - b);
  return { p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: lat.at(-1)! };
}

export async function measureLatency(opts: LatencyOptions) {
  const p = await startPipeline({
    seed: false,
    logLevel: 'silent',
    env: { BATCH_WINDOW_MS: '250', WORKER_CONCURRENCY: '2' },
  });
  try {
    p.sandbox.hubspot.addProperties(hubspotPropertySpecs(p.config).map((s) => s.name));
    p.sandbox.hubspot.owners.push({ id: '1001', archived: false });
    const live = opts.perSecond * opts.seconds;
    // Live contacts come first in the listing: the measured rescore passes them before the stream starts,
    // so every write they get during the stream is the live path's.
    const all = Array.from({ length: 2 * live + opts.rescoreContacts }, (_, i) => String(300_000 + i));
    for (const id of all)
      p.sandbox.hubspot.contacts.set(id, {
        id,
        properties: {
          email: `l${id}@example.com`,
          jobtitle: 'Engineer',
          industry: 'Retail',
          lifecyclestage: 'subscriber',
        },
      });
    const [idleIds, busyIds, rescoreIds] = [all.slice(0, live), all.slice(live, 2 * live), all.slice(2 * live)];
    const keys = new Keys(p.env.LEADSTAGE_REDIS_PREFIX);
    const port = (priority: 'live') =>
      new HubSpotAdapter({
        config: p.config,
        accessToken: async () => 'pat-sandbox',
        basePath: p.sandbox.url,
        limiter: new TenantRateLimiter(p.web.redis, keys, { ...QUOTA, maxInlineWaitMs: 60_000, priority }),
      });
    // Set-up (not measured): every contact scored once, so later writes are only the ones measured.
    await rescoreTenant(tenant, rescoreDeps(p.web.redis, keys, p.config, port('live')));
    await p.drained(600_000);

    const writes = new Map<string, number[]>();
    const send = p.sandbox.hubspot.onChange;
    p.sandbox.hubspot.onChange = (changes) => {
      const now = Date.now();
      for (const c of changes)
        if (c.propertyName === 'leadstage_score') writes.set(c.objectId, [...(writes.get(c.objectId) ?? []), now]);
      send(changes);
    };
    const idle = await stream(p, idleIds, opts.perSecond, writes);
    await p.drained(600_000);

    // A config change, as far as the CRM shows it: every rescore contact's score is off.
    for (const id of rescoreIds) p.sandbox.hubspot.contacts.get(id)!.properties['leadstage_score'] = '99';
    // The rescore as an operator runs it: `leadstage rescore` in its own process (its planning does
    // not share the worker's event loop), low priority in the same Redis quota as the worker.
    const cli = spawn(
      process.execPath,
      ['bin/leadstage.mjs', 'rescore', `hubspot:${LOCAL.portalId}`, '--json', '--every', '1'],
      {
        env: {
          ...process.env,
          ...p.sandbox.leadstageEnv(p.url),
          REDIS_URL: p.env.REDIS_URL,
          LEADSTAGE_REDIS_PREFIX: p.env.LEADSTAGE_REDIS_PREFIX,
          LEADSTAGE_CONFIG: 'config/leadstage.yaml',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let read = 0;
    let out = '';
    cli.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    cli.stderr.on('data', (d: Buffer) => {
      const m = /: ([\d,]+) contacts read/.exec(d.toString().trim().split('\n').at(-1) ?? '');
      if (m) read = Number(m[1]!.replace(/,/g, ''));
    });
    const exited = once(cli, 'exit');
    let settled = false;
    void exited.then(() => (settled = true));
    while (read < 2 * live && !settled) await new Promise((r) => setTimeout(r, 20));
    const readAtStart = read;
    const busy = await stream(p, busyIds, opts.perSecond, writes);
    const readDuring = read - readAtStart;
    const [code] = await exited;
    if (code !== 0) throw new Error(`leadstage rescore exited with ${String(code)}`);
    const summary = JSON.parse(out) as { contactsRead: number; changed: number; crmCalls: number; elapsedMs: number };
    await p.drained(600_000);
    return {
      ...opts,
      idle,
      busy,
      ratio: busy.p99 / idle.p99,
      rescoreReadDuringLive: readDuring,
      tooMany: p.sandbox.hubspot.tooManyRequests,
      rescore: {
        read: summary.contactsRead,
        changed: summary.changed,
        crmCalls: summary.crmCalls,
        ms: summary.elapsedMs,
      },
    };
  } finally {
    await p.stop();
  }
}
