// npm run bench:simulate — `leadstage simulate` against the sandbox CRM over real HTTP, real Redis:
//   speed       contacts simulated per second (two plans per contact), and its own CRM calls (list
//               pages + owners: nothing per contact)
//   prediction  the CRM calls it predicts applying the new config costs vs the calls `rescore` then
//               makes with that config on the same data (counted by the sandbox, HTTP requests)
// The new config hands every strong-fit contact (a third) to sales without engagement, so the
// rescore writes every contact (first score) and creates a task for each handoff.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Connection } from 'jsforce';
import { rescoreTenant } from '../jobs/rescore-tenant.ts';
import { summarizeSimulation } from '../jobs/simulate-config.ts';
import { simulateTenant } from '../jobs/simulate-tenant.ts';
import { loadConfigFile } from '../src/config/load-config.ts';
import type { LeadstageConfig } from '../src/core/model.ts';
import { HubSpotAdapter } from '../src/crm/hubspot/hubspot-adapter.ts';
import { hubspotPropertySpecs } from '../src/crm/hubspot/hubspot-setup.ts';
import { SalesforceAdapter } from '../src/crm/salesforce/salesforce-adapter.ts';
import type { CrmPort } from '../src/platform/crm-port.ts';
import { Keys } from '../src/platform/keys.ts';
import { deleteByPrefix } from '../src/platform/redis.ts';
import { SandboxCrm } from '../src/sandbox/sandbox-crm.ts';
import { readSeed } from '../src/sandbox/seed.ts';
import { ActivityStore } from '../src/store/activity-store.ts';
import { OwnerAwayStore } from '../src/store/owner-away-store.ts';
import { TenantRateLimiter } from '../src/store/rate-limiter.ts';
import { WorkerStore } from '../src/store/worker-store.ts';
import { rescoreDeps } from './rescore-wiring.ts';

export interface SimulateRun {
  crm: string;
  contacts: number;
  simSeconds: number;
  simCalls: number;
  predicted: number;
  actual: number;
  tasksPredicted: number;
  tasksCreated: number;
}

const TENANTS = {
  hubspot: { crm: 'hubspot', id: '62515' },
  salesforce: { crm: 'salesforce', id: '00D5g000004SxyzEAC' },
};

/** The shipped config, and one that hands strong-fit contacts to sales without engagement. */
function configs(): [LeadstageConfig, LeadstageConfig] {
  const loaded = loadConfigFile('config/leadstage.yaml');
  if (!loaded.ok) throw loaded.error;
  const next = structuredClone(loaded.config);
  next.lifecycle.criteria['lead'] = {};
  next.lifecycle.criteria['marketingqualifiedlead'] = { minScore: 30, minGrade: 'B' };
  return [loaded.config, next];
}

export async function runSimulateBench(kind: 'hubspot' | 'salesforce', contacts: number): Promise<SimulateRun> {
  const [current, next] = configs();
  const sandbox = new SandboxCrm();
  sandbox.hubspot.addProperties(hubspotPropertySpecs(current).map((p) => p.name));
  sandbox.hubspot.rateLimit = { max: 1_000_000, windowMs: 10_000 };
  sandbox.hubspot.owners.push(
    { id: '1001', archived: false },
    { id: '1002', archived: false },
    { id: '1003', archived: false },
  );
  Object.assign(sandbox.salesforce.schema, readSeed().salesforce.schema);
  for (let i = 0; i < contacts; i++) {
    const title = i % 3 ? 'Engineer' : 'VP Marketing';
    if (kind === 'hubspot') {
      const id = String(1_000_000 + i);
      sandbox.hubspot.contacts.set(id, {
        id,
        properties: {
          email: `c${i}@example.com`,
          jobtitle: title,
          industry: 'Software',
          country: 'United States',
          lifecyclestage: 'subscriber',
        },
      });
    } else {
      const type = i % 10 < 7 ? 'Lead' : 'Contact';
      const Id = sandbox.salesforce.newId(type);
      sandbox.salesforce.records[type].set(Id, {
        Id,
        Email: `c${i}@example.com`,
        Title: title,
        Industry: 'Software',
        Country: 'United States',
        Company: `Co ${i}`,
        IsConverted: false,
      });
    }
  }
  await sandbox.start();
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const keys = new Keys(`lssimb${randomBytes(3).toString('hex')}`);
  const limiter = new TenantRateLimiter(redis, keys, {
    max: 1_000_000,
    windowMs: 10_000,
    maxInlineWaitMs: 60_000,
    priority: 'low',
  });
  const conn = new Connection({ instanceUrl: sandbox.url, accessToken: 'sandbox-access-token', version: '61.0' });
  const port = (config: LeadstageConfig): CrmPort =>
    kind === 'hubspot'
      ? new HubSpotAdapter({ config, accessToken: async () => 'pat-sandbox', basePath: sandbox.url, limiter })
      : new SalesforceAdapter({ config, limiter, connection: async () => conn });
  const tenant = TENANTS[kind];
  try {
    const crm = port(current);
    const store = new WorkerStore(redis, keys);
    const activities = new ActivityStore(redis, keys, { maxAgeDays: 365 });
    const away = new OwnerAwayStore(redis, keys);
    const callsBefore = sandbox.totalCalls;
    const t0 = performance.now();
    const sim = await simulateTenant(tenant, {
      crm,
      current,
      next,
      now: new Date(),
      activities: { activitiesMany: (t, ids, ms) => activities.peekMany(t, ids, ms) },
      state: store,
      owners: (t) => crm.listOwners(t),
      awayOwners: (ms) => away.peek(ms),
    });
    const batch = crm.batchLimits?.write ?? 100;
    const report = summarizeSimulation(sim.contacts, {
      stages: next.lifecycle.stages,
      ownerNames: new Map(),
      cost: { readCalls: sim.crmCalls, writeBatch: batch, taskBatch: batch, limit: { max: 110, windowMs: 10_000 } },
    });
    const simSeconds = (performance.now() - t0) / 1000;
    const simCalls = sandbox.totalCalls - callsBefore;

    const before = sandbox.totalCalls;
    const applied = await rescoreTenant(tenant, rescoreDeps(redis, keys, next, port(next)));
    return {
      crm: kind,
      contacts,
      simSeconds,
      simCalls,
      predicted: report.cost.totalCalls,
      actual: sandbox.totalCalls - before,
      tasksPredicted: report.tasks.total,
      tasksCreated: applied.tasksCreated,
    };
  } finally {
    await sandbox.stop();
    await deleteByPrefix(redis, keys.prefix);
    await redis.quit();
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`bench:simulate  sandbox over HTTP, Redis on loopback, Node ${process.version}`);
  const sizes = (process.env['BENCH_SIZES'] ?? '10000').split(',').map(Number);
  for (const kind of ['hubspot', 'salesforce'] as const) {
    for (const n of sizes) {
      const r = await runSimulateBench(kind, n);
      console.log(
        `  ${r.crm.padEnd(10)} ${fmt(r.contacts).padStart(7)} contacts: simulated in ${r.simSeconds.toFixed(1)} s ` +
          `(${fmt(Math.round(r.contacts / r.simSeconds))} contacts/s) with ${fmt(r.simCalls)} CRM calls; ` +
          `predicted ${fmt(r.predicted)} calls to apply, rescore made ${fmt(r.actual)} → ${(r.predicted / r.actual).toFixed(3)}×; ` +
          `tasks predicted ${fmt(r.tasksPredicted)}, created ${fmt(r.tasksCreated)}`,
      );
    }
  }
}
