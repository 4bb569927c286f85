import { deleteByPrefix } from '../src/platform/redis.ts';
// npm run bench:ingest — throughput and latency of POST /webhooks/hubspot with signed 100-event
// batches, against a bare express route that only reads the raw body, in one run. The servers run
// in a child process; this process generates load (keep-alive connections, a fresh body and v3
// signature per request, so every event is new and goes the full path: verify, parse, dedupe
// claim, store, coalesce, confirm). Rounds alternate ours/bare to share any machine noise.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { signV3 } from '../webhooks/hubspot/hubspot-signature.ts';

export interface IngestBenchOptions {
  durationMs: number;
  rounds: number;
  connections: number;
  eventsPerRequest: number;
  contacts: number;
}

export interface SideResult {
  requests: number;
  events: number;
  errors: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

const SECRET = 'bench-hubspot-client-secret-000001';
const BASE = 'https://bench.leadstage.example.com';

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

let eventId = 0;
function batch(n: number, contacts: number): Buffer {
  const now = Date.now();
  const events = Array.from({ length: n }, () => {
    eventId += 1;
    const objectId = 1 + (eventId % contacts);
    // Half property changes that are activities (an e-mail open), half plain contact changes.
    return eventId % 2
      ? {
          eventId,
          subscriptionId: 1,
          portalId: 62515,
          appId: 1,
          occurredAt: now,
          subscriptionType: 'contact.propertyChange',
          attemptNumber: 0,
          objectId,
          propertyName: 'hs_email_last_open_date',
          propertyValue: String(now - (eventId % 1000)),
          changeSource: 'CRM',
        }
      : {
          eventId,
          subscriptionId: 2,
          portalId: 62515,
          appId: 1,
          occurredAt: now,
          subscriptionType: 'contact.propertyChange',
          attemptNumber: 0,
          objectId,
          propertyName: 'jobtitle',
          propertyValue: 'VP',
          changeSource: 'CRM',
        };
  });
  return Buffer.from(JSON.stringify(events));
}

async function load(port: number, opts: IngestBenchOptions): Promise<SideResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  let errors = 0;
  let requests = 0;
  const end = performance.now() + opts.durationMs;
  const one = () =>
    new Promise<void>((resolve) => {
      const body = batch(opts.eventsPerRequest, opts.contacts);
      const ts = String(Date.now());
      const started = performance.now();
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/webhooks/hubspot',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'x-hubspot-signature-v3': signV3(SECRET, 'POST', `${BASE}/webhooks/hubspot`, body, ts),
            'x-hubspot-request-timestamp': ts,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - started);
            requests += 1;
            if (res.statusCode !== 204) errors += 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const events = (requests - errors) * opts.eventsPerRequest;
  return {
    requests,
    events,
    errors,
    eventsPerSec: events / (opts.durationMs / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

function merge(parts: SideResult[], durationMs: number): SideResult {
  const requests = parts.reduce((a, r) => a + r.requests, 0);
  const events = parts.reduce((a, r) => a + r.events, 0);
  return {
    requests,
    events,
    errors: parts.reduce((a, r) => a + r.errors, 0),
    eventsPerSec: events / ((durationMs * parts.length) / 1000),
    p50Ms: Math.max(...parts.map((r) => r.p50Ms)),
    p99Ms: Math.max(...parts.map((r) => r.p99Ms)),
  };
}

export async function runIngestBench(
  opts: IngestBenchOptions,
): Promise<{ ours: SideResult; bare: SideResult; ratio: number }> {
  const prefix = `lsbench${randomBytes(4).toString('hex')}`;
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const server = spawn(
    process.execPath,
    [...(process.env['BENCH_PROF'] ? ['--cpu-prof', '--cpu-prof-dir=/tmp/iprof'] : []), 'bench/ingest-server.ts'],
    {
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        PUBLIC_BASE_URL: BASE,
        HUBSPOT_CLIENT_SECRET: SECRET,
        LEADSTAGE_REDIS_PREFIX: prefix,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const ports = JSON.parse(first) as { ours: number; bare: number };
  try {
    await load(ports.ours, { ...opts, durationMs: Math.min(1_000, opts.durationMs) }); // warm-up both
    await load(ports.bare, { ...opts, durationMs: Math.min(1_000, opts.durationMs) });
    const ours: SideResult[] = [];
    const bare: SideResult[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      ours.push(await load(ports.ours, opts));
      bare.push(await load(ports.bare, opts));
    }
    const o = merge(ours, opts.durationMs);
    const b = merge(bare, opts.durationMs);
    return { ours: o, bare: b, ratio: o.eventsPerSec / b.eventsPerSec };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    const redis = new Redis(redisUrl);
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts: IngestBenchOptions = {
    durationMs: Number(process.env['BENCH_DURATION_MS'] ?? 5_000),
    rounds: Number(process.env['BENCH_ROUNDS'] ?? 3),
    connections: Number(process.env['BENCH_CONNECTIONS'] ?? 16),
    eventsPerRequest: 100,
    contacts: Number(process.env['BENCH_CONTACTS'] ?? 300),
  };
  const r = await runIngestBench(opts);
  const fmt = (x: SideResult) =>
    `${Math.round(x.eventsPerSec).toLocaleString('en-US').padStart(9)} events/s  ${(x.eventsPerSec / 100).toFixed(0).padStart(5)} req/s  p50 ${x.p50Ms.toFixed(1)} ms  p99 ${x.p99Ms.toFixed(1)} ms  errors ${x.errors}`;
  console.log(
    `bench:ingest  ${opts.rounds}×${opts.durationMs / 1000}s per side, ${opts.connections} connections, 100-event signed batches, ${opts.contacts} contacts, Node ${process.version}`,
  );
  console.log(`  ours  /webhooks/hubspot  ${fmt(r.ours)}`);
  console.log(`  bare  raw-body route     ${fmt(r.bare)}`);
  console.log(`  ratio ours/bare          ${r.ratio.toFixed(2)}×   (goal ≥ 0.8× and ≥ 20,000 events/s)`);
}
