// npm run bench:isolation — one tenant's 429 storm must not slow the others down.
// Two HubSpot portals install the connected app through the routes (the sandbox has both). Tenant
// B gets a steady stream of webhook events; we measure webhook posted → B's contact written in the
// CRM (p50/p99), in rounds that alternate:
//   idle    tenant A does nothing
//   storm   tenant A has a backlog of contacts to write and every call it makes answers 429
// Goal: B's p99 with A storming within 20 % of B's p99 with A idle.
//   BENCH_RATE (contacts/s for B, default 20), BENCH_SECONDS (per round, 15), BENCH_ROUNDS (2),
//   BENCH_BACKLOG (A's contacts, 3000), WORKER_CONCURRENCY (leadstage's default), REDIS_URL.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startWebService } from '../src/app/web-service.ts';
import { startWorkerService } from '../src/app/worker-service.ts';
import { loadConfigFile } from '../src/config/load-config.ts';
import { hubspotPropertySpecs } from '../src/crm/hubspot/hubspot-setup.ts';
import { connectedAppEnv, installTenant } from '../src/demo/install-tenants.ts';
import { freePort, LOCAL } from '../src/demo/pipeline.ts';
import { parseEnv } from '../src/platform/env.ts';
import { createLogger } from '../src/platform/logger.ts';
import { deleteByPrefix } from '../src/platform/redis.ts';
import type { HubSpotFace } from '../src/sandbox/hubspot-face.ts';
import { SandboxCrm } from '../src/sandbox/sandbox-crm.ts';
import { postOpens } from './pipeline-bench.ts';

export interface IsolationOptions {
  perSecond: number;
  seconds: number;
  rounds: number;
  backlog: number;
  workerConcurrency?: number;
  redisUrl?: string;
}

export interface IsolationResult {
  idle: { p50Ms: number; p99Ms: number; n: number };
  storm: { p50Ms: number; p99Ms: number; n: number };
  /** storm p99 / idle p99. */
  ratio: number;
  /** 429s tenant A got during the storm rounds, and contacts of A written (none while it storms). */
  storm429: number;
  b429: number;
}

const A = LOCAL.portalId;
const B = '73001';
const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** Signed HubSpot webhook batches (≤ 100 events) of e-mail opens for `ids` of `portal`. */
function populate(face: HubSpotFace, properties: string[], from: number, n: number): string[] {
  face.addProperties(properties);
  face.owners.push({ id: '1001', archived: false });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = String(from + i);
    face.contacts.set(id, {
      id,
      properties: {
        email: `c${id}@example.com`,
        jobtitle: 'Engineer',
        industry: 'Retail',
        lifecyclestage: 'subscriber',
      },
    });
    ids.push(id);
  }
  return ids;
}

async function until(what: string, done: () => boolean, timeoutMs = 180_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stream B's `ids` at `perSecond`; resolves with each contact's posted → first written latency. */
async function streamB(url: string, face: HubSpotFace, ids: readonly string[], perSecond: number): Promise<number[]> {
  const posted = new Map<string, number>();
  const t0 = Date.now();
  const tickMs = 100;
  for (let tick = 0, sent = 0; sent < ids.length; tick++) {
    const due = Math.min(ids.length, Math.round(((tick + 1) * tickMs * perSecond) / 1000));
    const batch = ids.slice(sent, due);
    const at = Date.now();
    await postOpens({ url }, batch, B);
    for (const id of batch) posted.set(id, at);
    sent = due;
    const wait = t0 + (tick + 1) * tickMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await until('tenant B written', () => ids.every((id) => face.firstWrite.has(id)));
  return ids.map((id) => face.firstWrite.get(id)! - posted.get(id)!);
}

export async function runIsolationBench(opts: IsolationOptions): Promise<IsolationResult> {
  const loaded = loadConfigFile('config/leadstage.yaml');
  if (!loaded.ok) throw loaded.error;
  const properties = hubspotPropertySpecs(loaded.config).map((s) => s.name);
  const sandbox = new SandboxCrm();
  const faceA = sandbox.hubspot;
  const faceB = sandbox.addHubSpotPortal(B);
  const perRound = opts.perSecond * opts.seconds;
  const aIds = populate(faceA, properties, 100_000, opts.backlog * opts.rounds);
  const bIds = populate(faceB, properties, 500_000, perRound * (opts.rounds * 2 + 1));
  await sandbox.start();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prefix = `lsiso${randomBytes(4).toString('hex')}`;
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379';
  const parsed = parseEnv({
    PORT: String(port),
    REDIS_URL: redisUrl,
    LEADSTAGE_REDIS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: url,
    LEADSTAGE_SOURCES: 'hubspot',
    BATCH_WINDOW_MS: '250',
    ...(opts.workerConcurrency ? { WORKER_CONCURRENCY: String(opts.workerConcurrency) } : {}),
    ...connectedAppEnv(sandbox, randomBytes(32)),
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const log = createLogger('silent');
  const web = await startWebService({ env: parsed.env, config: loaded.config, log });
  const worker = await startWorkerService({ env: parsed.env, config: loaded.config, log });
  sandbox.connect(url, 'unused');
  try {
    for (const portal of [A, B]) {
      const r = await installTenant(url, sandbox, 'hubspot', { portalId: portal });
      if (!r.ok) throw new Error(`install of ${portal} failed: ${r.page}`);
    }
    const idle: number[] = [];
    const storm: number[] = [];
    let storm429 = 0;
    // A warm-up round (not counted): connections, JIT, the first token and owner lists.
    let next = perRound;
    await streamB(url, faceB, bIds.slice(0, perRound), opts.perSecond);
    const b429Before = faceB.tooManyRequests;
    for (let round = 0; round < opts.rounds; round++) {
      idle.push(...(await streamB(url, faceB, bIds.slice(next, (next += perRound)), opts.perSecond)));
      // A storms: every call of A answers 429, and A has a backlog that keeps its jobs coming back.
      const before = sandbox.injected.storm;
      faceA.stormUntil = Number.MAX_SAFE_INTEGER;
      await postOpens({ url }, aIds.slice(round * opts.backlog, (round + 1) * opts.backlog), A);
      await new Promise((r) => setTimeout(r, 1_000));
      storm.push(...(await streamB(url, faceB, bIds.slice(next, (next += perRound)), opts.perSecond)));
      storm429 += sandbox.injected.storm - before;
      faceA.stormUntil = 0;
      // "A idle" means idle: its backlog is written before the next idle round starts.
      const backlog = aIds.slice(round * opts.backlog, (round + 1) * opts.backlog);
      await until('tenant A drained after its storm', () => backlog.every((id) => faceA.firstWrite.has(id)));
      await new Promise((r) => setTimeout(r, 1_000));
    }
    idle.sort((x, y) => x - y);
    storm.sort((x, y) => x - y);
    const i = { p50Ms: pct(idle, 0.5), p99Ms: pct(idle, 0.99), n: idle.length };
    const s = { p50Ms: pct(storm, 0.5), p99Ms: pct(storm, 0.99), n: storm.length };
    return { idle: i, storm: s, ratio: s.p99Ms / i.p99Ms, storm429, b429: faceB.tooManyRequests - b429Before };
  } finally {
    await worker.stop();
    await web.stop();
    await sandbox.stop();
    const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    r.on('error', () => undefined);
    await deleteByPrefix(r, prefix);
    r.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const opts: IsolationOptions = {
    perSecond: Number(env['BENCH_RATE'] ?? 20),
    seconds: Number(env['BENCH_SECONDS'] ?? 15),
    rounds: Number(env['BENCH_ROUNDS'] ?? 2),
    backlog: Number(env['BENCH_BACKLOG'] ?? 3000),
    ...(env['WORKER_CONCURRENCY'] ? { workerConcurrency: Number(env['WORKER_CONCURRENCY']) } : {}),
    ...(env['REDIS_URL'] ? { redisUrl: env['REDIS_URL'] } : {}),
  };
  console.log(
    `bench:isolation  tenant B at ${opts.perSecond} contacts/s, ${opts.rounds} × (${opts.seconds} s with A idle, ${opts.seconds} s with A in a 429 storm with ${opts.backlog} contacts queued), Node ${process.version}`,
  );
  const r = await runIsolationBench(opts);
  console.log(`  B with A idle      p50 ${r.idle.p50Ms} ms, p99 ${r.idle.p99Ms} ms (${r.idle.n} contacts)`);
  console.log(
    `  B with A storming  p50 ${r.storm.p50Ms} ms, p99 ${r.storm.p99Ms} ms (${r.storm.n} contacts); A got ${r.storm429} 429s, B ${r.b429}`,
  );
  console.log(`  p99 storm / idle = ${r.ratio.toFixed(2)}×  (goal ≤ 1.20×)`);
  process.exit(0);
}
