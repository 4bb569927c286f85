// Fault drill: one poison record in a batch → the rest of its batch written within normal time.
//
//   node scripts/drills/poison-record.ts [--contacts 200] [--seed 1] [--crm salesforce|hubspot]
//        [--crm-latency-ms 100] [--max-ratio 2] [--rounds 3] [--timeout-s 240] [--redis-url URL]
//
// A batch of --contacts records, one of them poison: a record that makes a whole CRM call fail.
//   salesforce (default): a Lead id that is malformed (a SOQL injection attempt). Ingress refuses
//     such ids, so it is put straight into the tenant's pending set; the Salesforce adapter refuses
//     the read of the whole batch with CrmRejectedError(400) before querying (soqlId).
//   hubspot: a real contact whose batch update the sandbox answers 400 VALIDATION_ERROR, as
//     HubSpot does when one input of a batch update has an invalid value (the whole call fails).
// The other contacts-1 records have real events, posted through the real endpoints (the signed
// event feed for Salesforce Leads, signed v3 property-change webhooks for HubSpot). The recompute
// queue is paused while they arrive and the poison is injected, so everything forms one batch; the
// drain is timed from the queue's resume until the last recompute job completes. The same contacts
// and events (same seed) also run without the poison ("clean"); clean and poisoned runs alternate
// for --rounds rounds (medians compared), after an unmeasured warm-up run.
//
// Every sandbox API call answers after --crm-latency-ms (default 100 ms, a fast real CRM): without
// latency the runs last a few hundred ms and the ratio is mostly noise. Before each drain the
// worker's start-up calls are let out of the tenant's quota window (Salesforce 1 s, HubSpot 10 s).
//
// Checks, per run: every valid record written with the values its events imply (score, grade,
// stage, status; HubSpot also tasks: none duplicate or missing), every stage change with its stage
// entry recorded in Redis, no valid record dead-lettered, the poison in the dead-letter list, no
// failed job, the poisoned runs' scores equal to the clean runs', and the poisoned median drain at
// most --max-ratio × the clean one. Each run has its own sandbox CRM, web service and worker in this
// process and its own Redis prefix (a private redis-server on a free port unless --redis-url).
// Progress goes to stderr; one summary line to stdout; exit 1 when a check fails.
import { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import type { BatchSummary } from '../../jobs/recompute-tenant.ts';
import { startWebService, type WebService } from '../../src/app/web-service.ts';
import { startWorkerService, type WorkerService } from '../../src/app/worker-service.ts';
import { mappingFor } from '../../src/core/crm-mapping.ts';
import type { LeadstageConfig } from '../../src/core/model.ts';
import { planContact } from '../../src/core/plan-contact.ts';
import type { Activity } from '../../src/core/types.ts';
import { toSnapshot as sfSnapshot } from '../../src/crm/salesforce/salesforce-mapping.ts';
import { LOCAL } from '../../src/demo/pipeline.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { Keys } from '../../src/platform/keys.ts';
import type { RecomputeJobData } from '../../src/platform/queues.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import type { Tenant } from '../../src/platform/tenant.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { readSeed } from '../../src/sandbox/seed.ts';
import { signFeed } from '../../webhooks/events/events-router.ts';
import { feedEventSchema, normalizeFeed } from '../../webhooks/events/events-normalize.ts';
import { BUILT_IN_ACTIVITY_TYPES } from '../../src/core/activity-types.ts';
import {
  fmt,
  Guard,
  HubSpotStream,
  loadConfig,
  newPrefix,
  parseFlags,
  planEvents,
  populateSandbox,
  prng,
  PUBLIC_BASE_URL,
  sleep,
  startRedis,
  stderrLogger,
  TENANT as HUBSPOT_TENANT,
  verdictFailures,
  verify,
} from './drill-kit.ts';

const USAGE =
  'usage: node scripts/drills/poison-record.ts [--contacts 200] [--seed 1] [--crm salesforce|hubspot] [--crm-latency-ms 100] [--max-ratio 2] [--rounds 3] [--timeout-s 240] [--redis-url redis://…]';
const flags = parseFlags(
  process.argv.slice(2),
  {
    contacts: 200,
    seed: 1,
    crm: 'salesforce',
    'crm-latency-ms': 100,
    'max-ratio': 2,
    rounds: 3,
    'timeout-s': 240,
    'redis-url': '',
  },
  USAGE,
);
if (flags.crm !== 'salesforce' && flags.crm !== 'hubspot') {
  process.stderr.write(`--crm must be salesforce or hubspot\n${USAGE}\n`);
  process.exit(2);
}
if (!(flags.contacts >= 2 && flags.contacts <= 1000 && Number.isInteger(flags.contacts))) {
  process.stderr.write(`--contacts must be an integer from 2 to 1000 (one batch: RECOMPUTE_BATCH_SIZE ≤ 1000)\n`);
  process.exit(2);
}
const CRM = flags.crm as 'salesforce' | 'hubspot';
const NAME = 'poison-record';
const guard = new Guard(NAME, flags['timeout-s'] * 1000);

const SF_TENANT: Tenant = { crm: 'salesforce', id: LOCAL.orgId.slice(0, 15) };
const TENANT = CRM === 'salesforce' ? SF_TENANT : HUBSPOT_TENANT;
/** Salesforce: a malformed Lead id (a SOQL injection attempt) that only a direct Redis write can still produce. */
const SF_POISON = "00Q000000000' OR Name != '";
/** HubSpot: a real contact every batch update containing it is refused for (400 VALIDATION_ERROR). */
const HS_POISON = '299999';
const POISON_ID = CRM === 'salesforce' ? SF_POISON : HS_POISON;
const POISON_MEMBER = `${CRM === 'salesforce' ? 'lead' : 'contact'}:${POISON_ID}`;

interface RunResult {
  poisoned: boolean;
  valid: number;
  /** Valid records with a score in the CRM. */
  written: number;
  notWritten: string[];
  /** Valid records whose CRM values differ from what their events imply now. */
  wrong: string[];
  /** Other verdict failures (HubSpot: duplicate or missing tasks, tasks with unknown markers). */
  other: string[];
  poisonDeadLetter: { reason: string; count: number } | null;
  otherDeadLetters: number;
  failedJobs: number;
  failedAttempts: number;
  /** Valid records whose stage the drain changed, and those of them without the stage entry recorded. */
  moved: number;
  entriesMissing: string[];
  failReasons: string[];
  jobs: number;
  drainMs: number;
  calls: number;
  callsByRoute: Map<string, number>;
  tasks: number;
  scores: Map<string, string>;
}

// ── Salesforce: Leads and their feed events ─────────────────────────────────────────────────

const TITLES = [
  'VP Sales',
  'Director of IT',
  'Marketing Manager',
  'Software Engineer',
  'CEO',
  'Head of Growth',
  'Student',
  'Analyst',
];
const INDUSTRIES = ['Software', 'Fintech', 'Retail', 'Healthcare', 'Internet'];
const COUNTRIES = ['United States', 'Germany', 'United Kingdom', 'Brazil', 'Canada'];
const SIZES = [3, 40, 120, 800, 2500];
const FEED_KINDS: { type: string; weight: number; attributes?: Record<string, string> }[] = [
  { type: 'email_open', weight: 0.3 },
  { type: 'email_click', weight: 0.2 },
  { type: 'page_view', weight: 0.2, attributes: { url: 'https://example.com/pricing' } },
  { type: 'page_view', weight: 0.1, attributes: { url: 'https://example.com/blog/lead-scoring' } },
  { type: 'webinar_attended', weight: 0.1 },
  { type: 'demo_request', weight: 0.1 },
];

/** `n` open Leads in the sandbox org (ids as Salesforce makes them), of mixed fit, none scored yet. */
function populateLeads(sandbox: SandboxCrm, n: number, rng: () => number): string[] {
  const seed = readSeed();
  Object.assign(sandbox.salesforce.schema, seed.salesforce.schema);
  for (const u of seed.salesforce.users) sandbox.salesforce.records.User.set(u.Id, { ...u });
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)]!;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = sandbox.salesforce.newId('Lead');
    const d = rng();
    const domain = d < 0.85 ? `acme${i % 40}.com` : d < 0.92 ? 'gmail.com' : d < 0.96 ? 'state.edu' : 'rivalscore.io';
    sandbox.salesforce.records.Lead.set(id, {
      Id: id,
      FirstName: `First${i}`,
      LastName: `Last${i}`,
      Email: `l${i}@${domain}`,
      Title: pick(TITLES),
      Company: `Acme ${i % 40}`,
      Industry: pick(INDUSTRIES),
      NumberOfEmployees: pick(SIZES),
      Country: pick(COUNTRIES),
      OwnerId: null,
      Status: 'Open - Not Contacted',
      Lifecycle_Stage__c: rng() < 0.7 ? 'Subscriber' : 'Lead',
      IsConverted: false,
      CreatedDate: new Date(Date.now() - 30 * 86_400_000).toISOString(),
    });
    ids.push(id);
  }
  return ids;
}

interface FeedEvent {
  id: string;
  type: string;
  occurredAt: string;
  contact: { crm: 'salesforce'; orgId: string; id: string };
  attributes: Record<string, string>;
}

/** 1–4 feed events per Lead within the hour before `baseMs`, shuffled; ids unique within the run. */
function planFeed(ids: readonly string[], rng: () => number, baseMs: number): FeedEvent[] {
  const all: FeedEvent[] = [];
  let n = 0;
  for (const id of ids) {
    const k = 1 + Math.floor(rng() * 4);
    for (let j = 0; j < k; j++) {
      let r = rng();
      const kind = FEED_KINDS.find((x) => (r -= x.weight) < 0) ?? FEED_KINDS[0]!;
      const at = baseMs - 60_000 - Math.floor(rng() * 3_600_000);
      all.push({
        id: `poison-drill-${++n}`,
        type: kind.type,
        occurredAt: new Date(at).toISOString(),
        contact: { crm: 'salesforce', orgId: LOCAL.orgId, id },
        attributes: { ...kind.attributes },
      });
    }
  }
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

/** Posts the feed signed, ≤ 500 events per request; returns the activities each Lead's events imply. */
async function sendFeed(
  port: number,
  events: readonly FeedEvent[],
  config: LeadstageConfig,
): Promise<Map<string, Activity[]>> {
  for (let i = 0; i < events.length; i += 500) {
    const body = JSON.stringify(events.slice(i, i + 500));
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/events`, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(10_000),
      headers: {
        'content-type': 'application/json',
        'x-leadstage-timestamp': ts,
        'x-leadstage-signature': `sha256=${signFeed(LOCAL.eventsSecret, ts, body)}`,
      },
    });
    const text = await res.text();
    if (res.status !== 202) throw new Error(`the event feed answered ${res.status}: ${text.slice(0, 200)}`);
  }
  const truth = new Map<string, Activity[]>();
  const normalized = normalizeFeed(
    events.map((e) => feedEventSchema.parse(e)),
    new Set([...BUILT_IN_ACTIVITY_TYPES, ...config.engagement.customActivityTypes]),
  );
  if (!normalized.ok) throw new Error(normalized.reason);
  for (const op of normalized.ops) {
    if (op.kind !== 'activity') continue;
    truth.set(op.contact.id, [...(truth.get(op.contact.id) ?? []), op.activity]);
  }
  return truth;
}

/** Leads without a score, and Leads whose values differ from what their events imply now (as drill-kit's verify does for HubSpot). */
function verifyLeads(
  sandbox: SandboxCrm,
  config: LeadstageConfig,
  truth: ReadonlyMap<string, Activity[]>,
  ids: readonly string[],
  now: Date,
): { notWritten: string[]; wrong: string[] } {
  const mapping = mappingFor(config, { crm: 'salesforce', objectType: 'lead' });
  if (!mapping) throw new Error('the config has no crm.salesforce.lead mapping');
  const out = { notWritten: [] as string[], wrong: [] as string[] };
  for (const id of ids) {
    const r = sandbox.salesforce.records.Lead.get(id);
    if (!r || r['Lead_Score__c'] === undefined || r['Lead_Score__c'] === null) {
      out.notWritten.push(id);
      continue;
    }
    const snap = sfSnapshot('lead', r, mapping);
    const result = planContact({
      contact: { ...snap, stageEntries: {} },
      activities: truth.get(id) ?? [],
      config,
      now,
      assignment: { rotation: {}, unavailableOwnerIds: [] },
    });
    if (!result.ok) {
      out.wrong.push(`${id}: plan failed: ${result.error.message}`);
      continue;
    }
    const c = result.plan.changes;
    const diffs = [
      c.score !== undefined && `score ${snap.scored?.score} ≠ ${result.plan.score.total}`,
      c.grade !== undefined && `grade ≠ ${c.grade}`,
      c.stage !== undefined && `stage ≠ ${c.stage}`,
      c.leadStatus !== undefined && `status ≠ ${c.leadStatus}`,
    ].filter(Boolean);
    if (diffs.length) out.wrong.push(`${id}: ${diffs.join(', ')}`);
  }
  return out;
}

// ── one run ───────────────────────────────────────────────────────────────────────────────────

/**
 * One batch from nothing: sandbox, web, worker (paused), events for the valid records, the poison
 * (when `poisoned`), then the worker resumed and the drain timed. Everything it started is stopped.
 */
async function run(
  label: string,
  poisoned: boolean,
  contacts: number,
  redisUrl: string,
  config: LeadstageConfig,
): Promise<RunResult> {
  const rng = prng(flags.seed);
  const prefix = newPrefix();
  const valid = contacts - 1;
  const stops: { what: string; fn: () => Promise<unknown> | unknown }[] = [];
  const stopAll = async () => {
    for (const { what, fn } of stops.reverse()) {
      try {
        await Promise.race([Promise.resolve().then(fn), sleep(15_000)]);
      } catch (e) {
        guard.log(`${label}: stopping ${what}: ${(e as Error).message}`);
      }
    }
    stops.length = 0;
  };
  // The guard stops what is still running if the drill ends mid-run (time-out, signal).
  guard.onCleanup(`${label} run`, stopAll);
  stops.push({
    what: 'redis keys',
    fn: async () => {
      const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      r.on('error', () => undefined);
      await deleteByPrefix(r, prefix);
      r.disconnect();
    },
  });

  try {
    const sandbox = new SandboxCrm({ faults: { latencyMs: flags['crm-latency-ms'] } });
    let ids: string[];
    let initialStage = new Map<string, string>();
    if (CRM === 'salesforce') {
      ids = populateLeads(sandbox, valid, rng);
    } else {
      ids = populateSandbox(sandbox, config, valid, rng);
      initialStage = new Map(
        ids.map((id) => [id, sandbox.hubspot.contacts.get(id)!.properties['lifecyclestage'] ?? '']),
      );
      if (poisoned) {
        // Not from the rng: the valid contacts and their events are the same in both runs.
        sandbox.hubspot.contacts.set(HS_POISON, {
          id: HS_POISON,
          properties: {
            email: 'poison@acme1.com',
            firstname: 'Poison',
            lastname: 'Record',
            company: 'Acme 1',
            jobtitle: 'VP Sales',
            industry: 'Software',
            numemployees: '100-500',
            country: 'United States',
            lifecyclestage: 'lead',
          },
        });
        const handle = sandbox.hubspot.handle.bind(sandbox.hubspot);
        sandbox.hubspot.handle = (method, path, query, headers, body) => {
          const inputs = (body as { inputs?: { id?: string }[] } | undefined)?.inputs;
          if (
            method === 'POST' &&
            path.replace(/\/$/, '') === '/crm/v3/objects/contacts/batch/update' &&
            inputs?.some((i) => i.id === HS_POISON)
          ) {
            return {
              status: 400,
              body: {
                status: 'error',
                category: 'VALIDATION_ERROR',
                correlationId: 'poison-drill',
                message: `Property values were not valid: [{"isValid":false,"message":"contact ${HS_POISON}: value rejected by a validation rule","error":"INVALID_OPTION","name":"leadstage_fit_grade"}]`,
              },
            };
          }
          return handle(method, path, query, headers, body);
        };
      }
    }
    const crmUrl = await sandbox.start();
    stops.push({ what: 'sandbox', fn: () => sandbox.stop() });

    const all = sandbox.leadstageEnv(PUBLIC_BASE_URL);
    const only = (p: string) => Object.fromEntries(Object.entries(all).filter(([k]) => !k.startsWith(p)));
    const crmEnv = CRM === 'salesforce' ? only('HUBSPOT_') : { ...only('SALESFORCE_'), HUBSPOT_API_BASE_URL: crmUrl };
    const parsed = parseEnv({
      ...crmEnv,
      PORT: '0',
      REDIS_URL: redisUrl,
      LEADSTAGE_REDIS_PREFIX: prefix,
      LOG_LEVEL: 'error',
      LEADSTAGE_SOURCES: CRM === 'salesforce' ? 'events' : 'hubspot',
      BATCH_WINDOW_MS: '0',
      RECOMPUTE_BATCH_SIZE: String(contacts),
      SHUTDOWN_TIMEOUT_MS: '5000',
      HUBSPOT_ACCOUNT_TIMEZONE: 'America/New_York',
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const log = stderrLogger('error');
    const web: WebService = await startWebService({ env: parsed.env, config, log });
    stops.push({ what: 'web service', fn: () => web.stop() });
    const worker: WorkerService = await startWorkerService({ env: parsed.env, config, log });
    // The worker's start-up calls (schema check) leave the tenant's quota window before the drain:
    // a worker that has run for a while meets a batch with its whole quota.
    const quotaFreeAt =
      Date.now() + (CRM === 'salesforce' ? parsed.env.SALESFORCE_WINDOW_MS : parsed.env.HUBSPOT_WINDOW_MS) + 100;
    stops.push({ what: 'worker', fn: () => worker.stop() });
    // The whole queue pauses (a paused Worker may still have fetched a job): the batch forms first.
    await web.queues.recompute.pause();

    let failedAttempts = 0;
    const failReasons = new Map<string, number>();
    let jobs = 0;
    let lastCompleted = 0;
    worker.worker.on('failed', (_job: Job<RecomputeJobData> | undefined, err: Error) => {
      failedAttempts += 1;
      const reason = err.message.slice(0, 160);
      failReasons.set(reason, (failReasons.get(reason) ?? 0) + 1);
    });
    worker.worker.on('completed', (job: Job<RecomputeJobData>, summary: BatchSummary) => {
      jobs += 1;
      lastCompleted = Date.now();
      if (summary.contacts)
        guard.log(
          `${label}: job done: ${summary.contacts} contacts, ${summary.written} written, ${summary.unchanged} unchanged, ${summary.deadLettered.length} dead-lettered, ${summary.crmCalls} CRM calls, ${summary.ms} ms (picked up ${(job.processedOn ?? 0) - t0} ms after the resume)`,
        );
    });

    let t0 = 0;
    // ── the events, then the poison ──
    const baseMs = Date.now();
    let truth: Map<string, Activity[]>;
    let stream: HubSpotStream | undefined;
    if (CRM === 'salesforce') {
      truth = await sendFeed(web.port, planFeed(ids, rng, baseMs), config);
    } else {
      stream = new HubSpotStream(sandbox, web.port);
      await stream.send(planEvents(ids, rng, baseMs));
      if (stream.undelivered) throw new Error(`${stream.undelivered} webhook events undelivered`);
      truth = stream.truth;
    }
    const keys = new Keys(prefix);
    if (poisoned) await web.redis.sadd(keys.pending(TENANT), POISON_MEMBER);
    const pending = await web.redis.scard(keys.pending(TENANT));
    if (pending !== contacts - (poisoned ? 0 : 1))
      throw new Error(`${pending} records pending before the drain, expected ${contacts - (poisoned ? 0 : 1)}`);
    const waiting = await web.queues.recompute.getJobCounts('waiting', 'delayed', 'prioritized');
    if (Object.values(waiting).reduce((a, b) => a + b, 0) === 0)
      throw new Error('no recompute job waits for the tenant after ingest');

    // Each contact's stage before the drain (canonical names), to check the stage entries after it.
    const sfMapping = mappingFor(config, { crm: 'salesforce', objectType: 'lead' });
    const stageOf = (id: string): string | null =>
      CRM === 'salesforce'
        ? sfSnapshot('lead', sandbox.salesforce.records.Lead.get(id)!, sfMapping!).stage
        : sandbox.hubspot.contacts.get(id)!.properties['lifecyclestage'] || null;
    const stageBefore = new Map(ids.map((id) => [id, stageOf(id)]));

    // ── the drain ──
    if (quotaFreeAt > Date.now()) await sleep(quotaFreeAt - Date.now());
    const callsBefore = new Map(sandbox.calls);
    const totalBefore = sandbox.totalCalls;
    t0 = Date.now();
    await web.queues.recompute.resume();
    let quiet = 0;
    let idleAt = 0;
    while (quiet < 3) {
      const counts = await web.queues.recompute.getJobCounts(
        'waiting',
        'delayed',
        'active',
        'prioritized',
        'waiting-children',
      );
      const [p, f] = await Promise.all([web.redis.scard(keys.pending(TENANT)), web.redis.scard(keys.inflight(TENANT))]);
      const busy = p + f + Object.values(counts).reduce((a, b) => a + b, 0) > 0;
      if (busy) quiet = 0;
      else if (quiet++ === 0) idleAt = Date.now();
      await sleep(busy ? 10 : 100);
    }
    const drainMs = (lastCompleted || idleAt) - t0;
    const calls = sandbox.totalCalls - totalBefore;
    const callsByRoute = new Map(
      [...sandbox.calls]
        .map(([r, n]) => [r, n - (callsBefore.get(r) ?? 0)] as [string, number])
        .filter(([, n]) => n > 0),
    );

    // ── what the CRM holds now ──
    const failedJobs = (await web.queues.recompute.getJobCounts('failed'))['failed'] ?? 0;
    // A contact leadstage moved into a stage must have that entry recorded (task keys and stage history count on it).
    const moved = ids.filter((id) => stageOf(id) !== stageBefore.get(id));
    const recorded = await Promise.all(
      moved.map((id) => web.redis.hget(keys.stageEntries(TENANT, id), stageOf(id) ?? '')),
    );
    const entriesMissing = moved.filter((_, i) => !(Number(recorded[i]) > 0));
    const dead = await worker.deadLetters.list(TENANT);
    const poisonDead = dead.find((d) => d.id === POISON_ID && d.kind === 'contact');
    const now = new Date();
    let notWritten: string[];
    let wrong: string[];
    let other: string[] = [];
    let tasks: number;
    const scores = new Map<string, string>();
    if (CRM === 'salesforce') {
      ({ notWritten, wrong } = verifyLeads(sandbox, config, truth, ids, now));
      tasks = sandbox.salesforce.records.Task.size;
      for (const id of ids) scores.set(id, String(sandbox.salesforce.records.Lead.get(id)?.['Lead_Score__c'] ?? ''));
    } else {
      const v = verify(sandbox, config, truth, ids, initialStage, now);
      notWritten = v.lost;
      wrong = v.wrong.map((w) => `${w.id}: ${w.detail}`);
      other = verdictFailures({ ...v, lost: [], wrong: [] });
      tasks = v.tasks;
      for (const id of ids)
        scores.set(id, String(sandbox.hubspot.contacts.get(id)?.properties['leadstage_score'] ?? ''));
    }
    return {
      poisoned,
      valid,
      written: valid - notWritten.length,
      notWritten,
      wrong,
      other,
      poisonDeadLetter: poisonDead ? { reason: poisonDead.reason, count: poisonDead.count } : null,
      otherDeadLetters: dead.length - (poisonDead ? 1 : 0),
      failedJobs,
      failedAttempts,
      moved: moved.length,
      entriesMissing,
      failReasons: [...failReasons].map(([r, n]) => `${n}× ${r}`),
      jobs,
      drainMs,
      calls,
      callsByRoute,
      tasks,
      scores,
    };
  } finally {
    await stopAll();
  }
}

// ── the drill ─────────────────────────────────────────────────────────────────────────────────

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function describe(label: string, r: RunResult): void {
  guard.log(
    `${label}: drained in ${secs(r.drainMs)} (${r.jobs} job${r.jobs === 1 ? '' : 's'}), ${r.written}/${r.valid} written, ${r.wrong.length} wrong, ` +
      `${r.calls} CRM calls (${[...r.callsByRoute].map(([route, n]) => `${route.replace(/^(GET|POST|PATCH) \/(services\/data\/v[\d.]+|crm\/v3\/objects)/, '$1 ')} ${n}`).join(', ')}), ` +
      `${r.tasks} tasks, ${r.moved} stage changes (${r.entriesMissing.length} without their stage entry recorded), ${r.failedAttempts} failed attempts, ${r.failedJobs} failed jobs` +
      (r.poisoned
        ? `, poison ${r.poisonDeadLetter ? `dead-lettered (${r.poisonDeadLetter.reason})` : 'NOT dead-lettered'}`
        : '') +
      (r.otherDeadLetters ? `, ${r.otherDeadLetters} other dead letters` : ''),
  );
  if (r.failReasons.length) guard.log(`${label}: failed attempts: ${r.failReasons.join(' | ')}`);
  for (const w of r.wrong.slice(0, 5)) guard.log(`${label}: wrong: ${w}`);
  if (r.notWritten.length) guard.log(`${label}: not written: ${r.notWritten.slice(0, 10).join(', ')}`);
  if (r.entriesMissing.length)
    guard.log(`${label}: stage entry not recorded: ${r.entriesMissing.slice(0, 10).join(', ')}`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const redisUrl = await startRedis(guard, flags['redis-url'], newPrefix());
  const n = flags.contacts;
  let phase = 'warm-up';
  guard.state = () => phase;
  guard.log(
    `${CRM}: batches of ${n} (${n - 1} valid + 1 poison ${JSON.stringify(POISON_MEMBER)}), seed ${flags.seed}, CRM latency ${flags['crm-latency-ms']} ms, ${flags.rounds} round(s)`,
  );

  // Unmeasured: the first run in a process pays for module loading and the JIT.
  describe('warm-up (poisoned, 20)', await run('warm-up', true, Math.min(20, n), redisUrl, config));
  const clean: RunResult[] = [];
  const poisoned: RunResult[] = [];
  for (let round = 1; round <= flags.rounds; round++) {
    // Alternate the order so neither kind always runs first.
    for (const kind of round % 2 ? (['clean', 'poisoned'] as const) : (['poisoned', 'clean'] as const)) {
      phase = `round ${round}: ${kind} run`;
      const r = await run(`${kind} #${round}`, kind === 'poisoned', n, redisUrl, config);
      describe(`${kind} #${round}`, r);
      (kind === 'clean' ? clean : poisoned).push(r);
    }
  }

  const cleanMs = median(clean.map((r) => r.drainMs));
  const poisonMs = median(poisoned.map((r) => r.drainMs));
  const ratio = poisonMs / Math.max(1, cleanMs);
  const extraCalls = median(poisoned.map((r) => r.calls)) - median(clean.map((r) => r.calls));
  const p = poisoned[poisoned.length - 1]!;
  // The same contacts with the same events: the poisoned runs must write the very scores the clean ones do.
  const differ = poisoned.flatMap((r) =>
    [...r.scores].filter(([id, s]) => clean.some((c) => c.scores.get(id) !== s)).map(([id]) => id),
  );

  // Per kind of run, each problem once, with how many of the runs had it.
  const perRun = new Map<string, number>();
  const note = (x: string) => perRun.set(x, (perRun.get(x) ?? 0) + 1);
  for (const [kind, rs] of [
    ['clean', clean],
    ['poisoned', poisoned],
  ] as const) {
    for (const r of rs) {
      if (r.notWritten.length)
        note(`${kind}: ${r.notWritten.length} valid contacts not written (${r.notWritten.slice(0, 3).join(', ')})`);
      if (r.wrong.length) note(`${kind}: ${r.wrong.length} written wrong (${r.wrong.slice(0, 2).join('; ')})`);
      if (r.other.length) note(`${kind}: ${r.other.join('; ')}`);
      if (r.failedJobs) note(`${kind}: ${r.failedJobs} failed jobs (${r.failReasons.slice(0, 2).join(' | ')})`);
      if (r.otherDeadLetters) note(`${kind}: ${r.otherDeadLetters} valid contacts dead-lettered`);
      if (r.entriesMissing.length)
        note(
          `${kind}: ${r.entriesMissing.length}/${r.moved} stage changes written without their stage entry recorded (${r.entriesMissing.slice(0, 3).join(', ')})`,
        );
      if (r.poisoned && !r.poisonDeadLetter) note('the poison is not in the dead-letter list');
    }
  }
  const problems = [...perRun].map(([x, k]) => (flags.rounds > 1 ? `${x} [${k}/${flags.rounds} runs]` : x));
  if (differ.length)
    problems.push(
      `${new Set(differ).size} scores differ from the clean run (${[...new Set(differ)].slice(0, 3).join(', ')})`,
    );
  if (ratio > flags['max-ratio'])
    problems.push(`the poisoned batch took ${ratio.toFixed(2)}× the clean one (limit ${flags['max-ratio']}×)`);

  const failedJobs = poisoned.reduce((a, r) => a + r.failedJobs, 0) + clean.reduce((a, r) => a + r.failedJobs, 0);
  const short = (x: string) => (x.length > 90 ? `${x.slice(0, 89)}…` : x);
  const reason = p.poisonDeadLetter ? `reason "${short(p.poisonDeadLetter.reason)}"` : 'not in the dead-letter list';
  const rounds = flags.rounds > 1 ? ` (median of ${flags.rounds})` : '';
  const line =
    `${NAME}: ${CRM} batch of ${n} (1 poison): ${p.written}/${p.valid} written, ${p.wrong.length} wrong, poison ${p.poisonDeadLetter ? 'dead-lettered' : 'NOT dead-lettered'} (${reason}), ` +
    `${p.entriesMissing.length}/${p.moved} stage entries missing, ` +
    `${failedJobs} failed jobs, drained in ${secs(poisonMs)} vs ${secs(cleanMs)} clean${rounds} (${ratio.toFixed(2)}×, limit ${flags['max-ratio']}×), ` +
    `extra CRM calls ${fmt(extraCalls)} (${fmt(median(poisoned.map((r) => r.calls)))} vs ${fmt(median(clean.map((r) => r.calls)))}), CRM latency ${flags['crm-latency-ms']} ms, seed ${flags.seed}` +
    (problems.length ? ` — FAILED: ${problems.join('; ')}` : '');
  await guard.finish(line, problems.length === 0);
}

main().catch((err: Error) =>
  guard.finish(`${NAME}: FAILED, ${err.message.split('\n')[0]} (${guard.state()})`, false, err),
);
