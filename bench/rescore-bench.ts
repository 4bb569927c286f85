// npm run bench:rescore — `leadstage rescore` against the sandbox CRM over real HTTP, real Redis:
//   floor     CRM calls of a full rescore vs the floor (one list page per 100 HubSpot / 2,000 Salesforce
//             contacts, one write per 100 / 200 changed), for 10k and 100k contacts on each CRM, first
//             with every contact changed, then with a share changed (goal ≤ 1.1×). Calls are counted
//             by the sandbox (HTTP requests), not by leadstage. Quota raised so only the calls count.
//   latency   live webhook → CRM write p99 while a rescore runs vs idle, HubSpot's real 110 / 10 s
//             quota, whole pipeline (signed webhooks → web → Redis/BullMQ → worker → sandbox) (goal ≤ 1.5×)
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Connection } from 'jsforce';
import { rescoreTenant, type RescoreSummary } from '../jobs/rescore-tenant.ts';
import { loadConfigFile } from '../src/config/load-config.ts';
import { HubSpotAdapter } from '../src/crm/hubspot/hubspot-adapter.ts';
import { hubspotPropertySpecs } from '../src/crm/hubspot/hubspot-setup.ts';
import { SalesforceAdapter } from '../src/crm/salesforce/salesforce-adapter.ts';
import type { CrmPort } from '../src/platform/crm-port.ts';
import { Keys } from '../src/platform/keys.ts';
import { deleteByPrefix } from '../src/platform/redis.ts';
import { SandboxCrm } from '../src/sandbox/sandbox-crm.ts';
import { readSeed } from '../src/sandbox/seed.ts';
import { TenantRateLimiter } from '../src/store/rate-limiter.ts';
import { rescoreDeps } from './rescore-wiring.ts';
import { measureLatency } from './rescore-latency.ts';

export interface FloorRun {
  crm: string;
  contacts: number;
  pass: 'all changed' | 'share changed';
  read: number;
  changed: number;
  calls: number;
  floor: number;
  ratio: number;
  seconds: number;
}

const HS = { crm: 'hubspot', id: '62515' };
const SF = { crm: 'salesforce', id: '00D5g000004SxyzEAC' };

/** Two passes over `contacts` records of one CRM: every contact changes, then `share` of them. */
export async function runFloorBench(
  crmKind: 'hubspot' | 'salesforce',
  contacts: number,
  share = 0.1,
): Promise<FloorRun[]> {
  const loaded = loadConfigFile('config/leadstage.yaml');
  if (!loaded.ok) throw loaded.error;
  const config = loaded.config;
  const sandbox = new SandboxCrm();
  sandbox.hubspot.addProperties(hubspotPropertySpecs(config).map((p) => p.name));
  sandbox.hubspot.rateLimit = { max: 1_000_000, windowMs: 10_000 };
  sandbox.hubspot.owners.push({ id: '1001', archived: false }, { id: '1002', archived: false });
  Object.assign(sandbox.salesforce.schema, readSeed().salesforce.schema);
  const ids: string[] = [];
  for (let i = 0; i < contacts; i++) {
    if (crmKind === 'hubspot') {
      const id = String(1_000_000 + i);
      sandbox.hubspot.contacts.set(id, {
        id,
        properties: {
          email: `c${i}@example.com`,
          jobtitle: i % 3 ? 'Engineer' : 'VP Marketing',
          industry: 'Software',
          lifecyclestage: 'subscriber',
        },
      });
      ids.push(id);
    } else {
      const type = i % 10 < 7 ? 'Lead' : 'Contact'; // 70 % open Leads, 30 % Contacts
      const Id = sandbox.salesforce.newId(type);
      sandbox.salesforce.records[type].set(Id, {
        Id,
        Email: `c${i}@example.com`,
        Title: i % 3 ? 'Engineer' : 'VP Marketing',
        Company: `Co ${i}`,
        IsConverted: false,
      });
      ids.push(Id);
    }
  }
  await sandbox.start();
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const keys = new Keys(`lsrsb${randomBytes(3).toString('hex')}`);
  const limiter = new TenantRateLimiter(redis, keys, {
    max: 1_000_000,
    windowMs: 10_000,
    maxInlineWaitMs: 60_000,
    priority: 'low',
  });
  const conn = new Connection({ instanceUrl: sandbox.url, accessToken: 'sandbox-access-token', version: '61.0' });
  const crm: CrmPort =
    crmKind === 'hubspot'
      ? new HubSpotAdapter({ config, accessToken: async () => 'pat-sandbox', basePath: sandbox.url, limiter })
      : new SalesforceAdapter({ config, limiter, connection: async () => conn });
  const tenant = crmKind === 'hubspot' ? HS : SF;
  const pass = async (label: FloorRun['pass']): Promise<FloorRun> => {
    const before = sandbox.totalCalls;
    const t0 = Date.now();
    const s: RescoreSummary = await rescoreTenant(tenant, rescoreDeps(redis, keys, config, crm));
    const calls = sandbox.totalCalls - before;
    return {
      crm: crmKind,
      contacts,
      pass: label,
      read: s.read,
      changed: s.changed,
      calls,
      floor: s.floor,
      ratio: calls / s.floor,
      seconds: (Date.now() - t0) / 1000,
    };
  };
  try {
    const out = [await pass('all changed')];
    // Someone edits the score of a share of the contacts, spread over every page: only those change.
    const step = Math.round(1 / share);
    for (let i = 0; i < ids.length; i++) {
      if (i % step !== Math.floor(i / step) % step) continue; // one in `step`, both object types
      if (crmKind === 'hubspot') sandbox.hubspot.contacts.get(ids[i]!)!.properties['leadstage_score'] = '99';
      else
        (sandbox.salesforce.records.Lead.get(ids[i]!) ?? sandbox.salesforce.records.Contact.get(ids[i]!))![
          'Lead_Score__c'
        ] = 99;
    }
    out.push(await pass('share changed'));
    return out;
  } finally {
    await sandbox.stop();
    await deleteByPrefix(redis, keys.prefix);
    await redis.quit();
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');

if (import.meta.url === `file://${process.argv[1]}`) {
  const what = process.argv[2] ?? 'all';
  console.log(`bench:rescore  sandbox over HTTP, Redis on loopback, Node ${process.version}`);
  if (what === 'all' || what === 'floor') {
    const sizes = (process.env['BENCH_SIZES'] ?? '10000,100000').split(',').map(Number);
    for (const crmKind of ['hubspot', 'salesforce'] as const) {
      for (const n of sizes) {
        for (const r of await runFloorBench(crmKind, n)) {
          console.log(
            `  floor    ${r.crm.padEnd(10)} ${fmt(r.contacts).padStart(7)} contacts, ${r.pass.padEnd(13)}: ${fmt(r.changed)} changed ` +
              `(${((100 * r.changed) / r.read).toFixed(1)} %), ${fmt(r.calls)} calls vs floor ${fmt(r.floor)} → ${r.ratio.toFixed(3)}×  (goal ≤ 1.1×), ${r.seconds.toFixed(1)} s`,
          );
        }
      }
    }
  }
  if (what === 'all' || what === 'latency') {
    const r = await measureLatency({
      rescoreContacts: Number(process.env['BENCH_RESCORE'] ?? 10_000),
      perSecond: Number(process.env['BENCH_RATE'] ?? 50),
      seconds: Number(process.env['BENCH_SECONDS'] ?? 20),
    });
    console.log(
      `  latency  HubSpot at 110 / 10 s, ${r.perSecond} contacts/s for ${r.seconds} s: idle p50 ${r.idle.p50} ms, p99 ${r.idle.p99} ms; ` +
        `during a rescore of ${fmt(r.rescoreContacts)} p50 ${r.busy.p50} ms, p99 ${r.busy.p99} ms → p99 ${r.ratio.toFixed(2)}× idle  (goal ≤ 1.5×)`,
    );
    console.log(
      `           the rescore meanwhile: ${fmt(r.rescore.read)} read, ${fmt(r.rescore.changed)} written, ${fmt(r.rescore.crmCalls)} calls in ${(r.rescore.ms / 1000).toFixed(1)} s` +
        ` (${fmt(r.rescoreReadDuringLive)} read while the live stream ran); 429s ${r.tooMany}`,
    );
  }
}
