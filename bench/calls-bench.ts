import { deleteByPrefix } from '../src/platform/redis.ts';
// npm run bench:calls — CRM calls per changed contact for a burst: N HubSpot events over M
// contacts, through the real pipeline (signed webhooks → web service → Redis/BullMQ → worker →
// HubSpot-compatible sandbox over HTTP). Compared with the floor the batch limits set: one read
// and one write per 100 contacts, plus task batches and the owner listing (two pages).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfigFile } from '../src/config/load-config.ts';
import { hubspotPropertySpecs } from '../src/crm/hubspot/hubspot-setup.ts';
import { SandboxCrm, type FaultOptions } from '../src/sandbox/sandbox-crm.ts';
import { parseEnv } from '../src/platform/env.ts';
import { createLogger } from '../src/platform/logger.ts';
import { startWebService } from '../src/app/web-service.ts';
import { startWorkerService } from '../src/app/worker-service.ts';
import { signV3 } from '../webhooks/hubspot/hubspot-signature.ts';

export interface CallsBenchResult {
  events: number;
  contacts: number;
  written: number;
  tasks: number;
  /** Tasks sharing an idempotency key with another (must be 0). */
  duplicateTasks: number;
  calls: Record<string, number>;
  totalCalls: number;
  floor: number;
  callsPerChangedContact: number;
  ms: number;
}

export async function runCallsBench(opts: {
  events: number;
  contacts: number;
  batchWindowMs?: number;
  faults?: FaultOptions;
}): Promise<CallsBenchResult> {
  const loaded = loadConfigFile('config/leadstage.yaml');
  if (!loaded.ok) throw loaded.error;
  const sandbox = new SandboxCrm(opts.faults ? { faults: opts.faults } : {});
  sandbox.hubspot.addProperties(hubspotPropertySpecs(loaded.config).map((p) => p.name));
  const base = await sandbox.start();
  sandbox.hubspot.owners.push(
    { id: '1001', archived: false },
    { id: '1002', archived: false },
    { id: '1003', archived: false },
    { id: '1004', archived: true },
  );
  const titles = ['VP Sales', 'Marketing Manager', 'Engineer', 'Director of IT', 'Student'];
  for (let i = 0; i < opts.contacts; i++) {
    sandbox.hubspot.contacts.set(String(10_000 + i), {
      id: String(10_000 + i),
      properties: {
        email: `c${i}@example.com`,
        jobtitle: titles[i % titles.length]!,
        industry: i % 2 ? 'Software' : 'Retail',
        numemployees: '100-500',
        country: 'United States',
        lifecyclestage: 'subscriber',
      },
    });
  }
  const prefix = `lsbench${randomBytes(4).toString('hex')}`;
  const secret = 'bench-hubspot-client-secret-000001';
  const parsed = parseEnv({
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    PUBLIC_BASE_URL: 'https://bench.example.com',
    PORT: '0',
    LEADSTAGE_SOURCES: 'hubspot',
    HUBSPOT_CLIENT_SECRET: secret,
    HUBSPOT_ACCESS_TOKEN: 'pat-sandbox',
    HUBSPOT_API_BASE_URL: base,
    LEADSTAGE_REDIS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    BATCH_WINDOW_MS: String(opts.batchWindowMs ?? 250),
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const log = createLogger('silent');
  const web = await startWebService({ env: parsed.env, config: loaded.config, log });
  const worker = await startWorkerService({ env: parsed.env, config: loaded.config, log });
  const started = Date.now();
  try {
    // The burst: e-mail opens (activities) and property changes, spread over the contacts.
    let eventId = 0;
    const all = Array.from({ length: opts.events }, (_, i) => {
      eventId += 1;
      const objectId = 10_000 + ((i * 7919) % opts.contacts);
      // A third plain property changes, a third e-mail opens, a third e-mail replies (20 points each,
      // enough to make strong-fit contacts MQLs with a follow-up task).
      const kind = i % 3;
      const property = kind === 0 ? 'jobtitle' : kind === 1 ? 'hs_email_last_open_date' : 'hs_email_last_reply_date';
      const value = kind === 0 ? 'x' : String(Date.now() - i * 60_000);
      return {
        eventId,
        subscriptionId: kind + 1,
        portalId: 62515,
        occurredAt: Date.now(),
        subscriptionType: 'contact.propertyChange',
        objectId,
        propertyName: property,
        propertyValue: value,
        changeSource: 'CRM',
      };
    });
    for (let i = 0; i < all.length; i += 100) {
      const body = Buffer.from(JSON.stringify(all.slice(i, i + 100)));
      const ts = String(Date.now());
      const res = await fetch(`http://127.0.0.1:${web.port}/webhooks/hubspot`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-hubspot-request-timestamp': ts,
          'x-hubspot-signature-v3': signV3(secret, 'POST', 'https://bench.example.com/webhooks/hubspot', body, ts),
        },
      });
      if (res.status !== 204) throw new Error(`ingest answered ${res.status}`);
    }
    // Drained: nothing pending or in flight, no job waiting, delayed or active.
    const tenant = { crm: 'hubspot' as const, id: '62515' };
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const counts = await web.queues.recompute.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      const busy = Object.values(counts).reduce((a, b) => a + b, 0);
      if (
        busy === 0 &&
        (await worker.store.pendingCount(tenant)) === 0 &&
        (await web.redis.scard(`${prefix}:{hubspot:62515}:inflight`)) === 0
      )
        break;
      if (Date.now() - started > 120_000) throw new Error('the pipeline did not drain within 2 minutes');
    }
    const markers = sandbox.hubspot.tasks.map(
      (t) => /\[leadstage:(\w+)\]/.exec(t.properties['hs_task_body'] ?? '')?.[1],
    );
    const duplicateTasks = markers.length - new Set(markers).size;
    const written = [...sandbox.hubspot.contacts.values()].filter(
      (c) => c.properties['leadstage_score'] !== undefined,
    ).length;
    const tasks = sandbox.hubspot.tasks.length;
    const floor = Math.ceil(written / 100) * 2 + Math.ceil(tasks / 100) + 2;
    return {
      events: opts.events,
      contacts: opts.contacts,
      written,
      tasks,
      duplicateTasks,
      calls: Object.fromEntries(sandbox.calls),
      totalCalls: sandbox.totalCalls,
      floor,
      callsPerChangedContact: sandbox.totalCalls / Math.max(1, written),
      ms: Date.now() - started,
    };
  } finally {
    await worker.stop();
    await web.stop();
    await sandbox.stop();
    const redis = new Redis(parsed.env.REDIS_URL);
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runCallsBench({
    events: Number(process.env['BENCH_EVENTS'] ?? 1000),
    contacts: Number(process.env['BENCH_CONTACTS'] ?? 300),
    batchWindowMs: Number(process.env['BATCH_WINDOW_MS'] ?? 250),
  });
  console.log(
    `bench:calls  ${r.events} events over ${r.contacts} contacts → ${r.written} contacts written, ${r.tasks} tasks, drained in ${r.ms} ms`,
  );
  for (const [route, n] of Object.entries(r.calls).sort()) console.log(`  ${route.padEnd(48)} ${n}`);
  console.log(
    `  total CRM calls ${r.totalCalls}  (floor ${r.floor}: 2 per 100 written contacts + task batches + 2 owner pages)  ratio ${(r.totalCalls / r.floor).toFixed(2)}×`,
  );
  console.log(
    `  calls per changed contact ${r.callsPerChangedContact.toFixed(3)}  (floor ${(r.floor / Math.max(1, r.written)).toFixed(3)})`,
  );
}
