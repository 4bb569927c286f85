// Shared pieces of the fault drills (scripts/drills/*.ts): flags, a seeded PRNG, a guard that bounds
// the run and stops everything it started (children, servers, Redis keys) even on failure, the
// sandbox population, the HubSpot webhook stream, the drain wait and the ground-truth check.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { mappingFor } from '../../src/core/crm-mapping.ts';
import type { LeadstageConfig } from '../../src/core/model.ts';
import { planContact } from '../../src/core/plan-contact.ts';
import { taskKey } from '../../src/core/tasks.ts';
import type { Activity, ContactSnapshot } from '../../src/core/types.ts';
import { hubspotPropertySpecs } from '../../src/crm/hubspot/hubspot-setup.ts';
import { toSnapshot } from '../../src/crm/hubspot/hubspot-mapping.ts';
import type { WebService } from '../../src/app/web-service.ts';
import { freePort, LOCAL, redisAnswers, spawnRedisServer } from '../../src/demo/pipeline.ts';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import type { Tenant } from '../../src/platform/tenant.ts';
import type { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { hubspotEventSchema, normalizeHubSpotEvent } from '../../webhooks/hubspot/hubspot-normalize.ts';
import { signV3 } from '../../webhooks/hubspot/hubspot-signature.ts';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const TENANT: Tenant = { crm: 'hubspot', id: LOCAL.portalId };
/** The URL leadstage believes it is served at (HubSpot signs it); requests go to 127.0.0.1:port. */
export const PUBLIC_BASE_URL = 'https://leadstage.drill.example';

// ── flags, randomness, output ────────────────────────────────────────────────────────────────

/** `--name value` or `--name=value`; numbers where the default is a number. Unknown flags → exit 2. */
export function parseFlags<T extends Record<string, string | number>>(
  argv: readonly string[],
  defaults: T,
  usage: string,
): T {
  const out: Record<string, string | number> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stderr.write(`${usage}\n`);
      process.exit(0);
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !(m[1]! in defaults)) {
      process.stderr.write(`unknown argument ${arg}\n${usage}\n`);
      process.exit(2);
    }
    const name = m[1]!;
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) {
      process.stderr.write(`--${name} needs a value\n${usage}\n`);
      process.exit(2);
    }
    if (typeof defaults[name] === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) {
        process.stderr.write(`--${name} must be a number (got ${raw})\n`);
        process.exit(2);
      }
      out[name] = n;
    } else out[name] = raw;
  }
  return out as T;
}

/** mulberry32: small, seeded, good enough to pick moments and personas reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** leadstage's logger, on stderr: stdout carries the drill's one summary line only. */
export function stderrLogger(level: string): Logger {
  return pino({ name: 'leadstage', level }, pino.destination(2));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * One drill run: progress lines to stderr, exactly one summary line to stdout, a hard deadline,
 * and cleanup of everything registered (in reverse order, each step bounded) on every way out.
 */
export class Guard {
  readonly name: string;
  readonly started = Date.now();
  /** What the drill is doing now, for the time-out line. */
  state: () => string = () => 'starting';
  private readonly cleanups: { what: string; fn: () => Promise<unknown> | unknown }[] = [];
  private readonly children = new Set<ChildProcess>();
  private finished = false;

  constructor(name: string, timeoutMs: number) {
    this.name = name;
    const timer = setTimeout(() => {
      void this.finish(
        `${name}: FAILED, not done within ${Math.round(timeoutMs / 1000)} s (${safe(this.state)})`,
        false,
      );
    }, timeoutMs);
    timer.unref();
    // Whatever happens, no child outlives us.
    process.on('exit', () => {
      for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => void this.finish(`${name}: FAILED, interrupted by ${sig} (${safe(this.state)})`, false));
    }
    process.on(
      'unhandledRejection',
      (err) => void this.finish(`${name}: FAILED, ${(err as Error)?.stack ?? String(err)}`.split('\n')[0]!, false, err),
    );
  }

  log(msg: string): void {
    process.stderr.write(`[${this.name} ${((Date.now() - this.started) / 1000).toFixed(1)} s] ${msg}\n`);
  }

  onCleanup(what: string, fn: () => Promise<unknown> | unknown): void {
    this.cleanups.push({ what, fn });
  }

  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  /** Print the one summary line, clean up, exit (0 when ok). Only the first call counts. */
  async finish(line: string, ok: boolean, err?: unknown): Promise<never> {
    if (this.finished) return new Promise<never>(() => undefined);
    this.finished = true;
    if (err) this.log(`error: ${(err as Error)?.stack ?? String(err)}`);
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const { what, fn } of this.cleanups.reverse()) {
      const done = await Promise.race([
        Promise.resolve()
          .then(fn)
          .then(
            () => true,
            (e: Error) => (this.log(`cleanup ${what}: ${e.message}`), true),
          ),
        sleep(15_000).then(() => false),
      ]);
      if (!done) this.log(`cleanup ${what}: gave up after 15 s`);
    }
    process.stdout.write(`${line}\n`);
    process.exit(ok ? 0 : 1);
  }
}

function safe(f: () => string): string {
  try {
    return f();
  } catch {
    return '?';
  }
}

// ── Redis, config, sandbox ────────────────────────────────────────────────────────────────────

/** The given Redis (keys under our own prefix, deleted at the end), or a private redis-server on a free port. */
export async function startRedis(guard: Guard, url: string, prefix: string): Promise<string> {
  if (url) {
    guard.onCleanup('redis keys', async () => {
      const r = new Redis(url, { maxRetriesPerRequest: 1 });
      r.on('error', () => undefined);
      await deleteByPrefix(r, prefix);
      r.disconnect();
    });
    return url;
  }
  const port = await freePort();
  const child = spawnRedisServer(port);
  guard.track(child);
  guard.onCleanup('redis-server', () => child.kill('SIGKILL'));
  const own = `redis://127.0.0.1:${port}`;
  if (!(await redisAnswers(own)))
    throw new Error(`redis-server did not start on port ${port} (is redis-server on PATH?)`);
  return own;
}

export function newPrefix(): string {
  return `drill${randomBytes(4).toString('hex')}`;
}

export function loadConfig(): LeadstageConfig {
  const loaded = loadConfigFile(`${ROOT}config/leadstage.yaml`);
  if (!loaded.ok) throw loaded.error;
  return loaded.config;
}

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
const BANDS = ['100-500', '50-100', '1000+', '1-5', '5-25'];
const COUNTRIES = ['United States', 'Germany', 'United Kingdom', 'Brazil', 'Canada'];

/**
 * The portal leadstage serves: its properties (as `setup hubspot` makes them), four owners (one
 * archived) and `n` seeded contacts of mixed fit, all below MQL. Returns the contact ids.
 */
export function populateSandbox(sandbox: SandboxCrm, config: LeadstageConfig, n: number, rng: () => number): string[] {
  sandbox.hubspot.addProperties(hubspotPropertySpecs(config).map((p) => p.name));
  sandbox.hubspot.owners.push(
    { id: '1001', archived: false },
    { id: '1002', archived: false },
    { id: '1003', archived: false },
    { id: '1004', archived: true },
  );
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)]!;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = String(200_000 + i);
    const d = rng();
    const domain = d < 0.85 ? `acme${i % 40}.com` : d < 0.92 ? 'gmail.com' : d < 0.96 ? 'state.edu' : 'rivalscore.io';
    const s = rng();
    sandbox.hubspot.contacts.set(id, {
      id,
      properties: {
        email: `c${i}@${domain}`,
        firstname: `First${i}`,
        lastname: `Last${i}`,
        company: `Acme ${i % 40}`,
        jobtitle: pick(TITLES),
        industry: pick(INDUSTRIES),
        numemployees: pick(BANDS),
        country: pick(COUNTRIES),
        lifecyclestage: s < 0.7 ? 'subscriber' : s < 0.95 ? 'lead' : '',
      },
    });
    ids.push(id);
  }
  return ids;
}

// ── the event stream ──────────────────────────────────────────────────────────────────────────

/** "Last …" date properties whose change HubSpot reports and leadstage turns into an activity. */
const KINDS = [
  { property: 'hs_email_last_open_date', weight: 0.5, subscriptionId: 101 },
  { property: 'hs_email_last_click_date', weight: 0.2, subscriptionId: 102 },
  { property: 'hs_email_last_reply_date', weight: 0.2, subscriptionId: 103 },
  { property: 'recent_conversion_date', weight: 0.1, subscriptionId: 104 },
];

export interface PlannedEvent {
  contactId: string;
  property: string;
  subscriptionId: number;
  /** The activity's time (the property's new value): within the hour before the run, so decay stays far below a point. */
  at: number;
}

/** 1–6 events per contact, shuffled into one stream. */
export function planEvents(ids: readonly string[], rng: () => number, baseMs: number): PlannedEvent[] {
  const all: PlannedEvent[] = [];
  for (const contactId of ids) {
    const used = new Set<number>();
    const k = 1 + Math.floor(rng() * 6);
    for (let j = 0; j < k; j++) {
      let r = rng();
      const kind = KINDS.find((x) => (r -= x.weight) < 0) ?? KINDS[0]!;
      let at = baseMs - 60_000 - Math.floor(rng() * 3_600_000);
      while (used.has(at)) at -= 1;
      used.add(at);
      all.push({ contactId, property: kind.property, subscriptionId: kind.subscriptionId, at });
    }
  }
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

/**
 * Sends events to leadstage the way HubSpot does (signed v3 batches of ≤ 100, retried on any non-2xx
 * with attemptNumber counting up), first applying each change to the sandbox contact as the CRM
 * would. Keeps the ground truth: the activities each contact's delivered events imply, through the
 * repo's own normalizer.
 */
export class HubSpotStream {
  readonly truth = new Map<string, Activity[]>();
  sent = 0;
  undelivered = 0;
  retries = 0;
  private eventId = 1_000_000;
  private readonly sandbox: SandboxCrm;
  private readonly postUrl: string;

  constructor(sandbox: SandboxCrm, webPort: number) {
    this.sandbox = sandbox;
    this.postUrl = `http://127.0.0.1:${webPort}/webhooks/hubspot`;
  }

  async send(events: readonly PlannedEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 100) await this.sendBatch(events.slice(i, i + 100));
  }

  private async sendBatch(batch: readonly PlannedEvent[]): Promise<void> {
    const occurredAt = Date.now();
    const payload = batch.map((e) => {
      const props = this.sandbox.hubspot.contacts.get(e.contactId)!.properties;
      if (Number(props[e.property] ?? 0) < e.at) props[e.property] = String(e.at);
      return {
        eventId: ++this.eventId,
        subscriptionId: e.subscriptionId,
        portalId: Number(LOCAL.portalId),
        occurredAt,
        subscriptionType: 'contact.propertyChange',
        attemptNumber: 0,
        objectId: Number(e.contactId),
        propertyName: e.property,
        propertyValue: String(e.at),
        changeSource: 'CRM',
      };
    });
    let ok = false;
    for (let attempt = 0; attempt < 8 && !ok; attempt++) {
      if (attempt > 0) {
        this.retries += 1;
        await sleep(250 * attempt);
      }
      const body = Buffer.from(JSON.stringify(payload.map((p) => ({ ...p, attemptNumber: attempt }))));
      const ts = String(Date.now());
      try {
        const res = await fetch(this.postUrl, {
          method: 'POST',
          body,
          signal: AbortSignal.timeout(5_000),
          headers: {
            'content-type': 'application/json',
            'x-hubspot-request-timestamp': ts,
            'x-hubspot-signature-v3': signV3(
              LOCAL.hubspotSecret,
              'POST',
              `${PUBLIC_BASE_URL}/webhooks/hubspot`,
              body,
              ts,
            ),
          },
        });
        await res.arrayBuffer();
        ok = res.ok;
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      this.undelivered += batch.length;
      return;
    }
    this.sent += batch.length;
    for (const raw of payload) {
      for (const op of normalizeHubSpotEvent(hubspotEventSchema.parse(raw), { ownProperties: new Set() })) {
        if (op.kind !== 'activity') continue;
        const list = this.truth.get(op.contact.id) ?? [];
        if (!list.some((a) => a.id === op.activity.id)) list.push(op.activity);
        this.truth.set(op.contact.id, list);
      }
    }
  }

  /** Streams `events` over `durationMs` in 200 ms ticks; `progress` every ~10 s. */
  async paced(events: readonly PlannedEvent[], durationMs: number, progress: (sent: number) => void): Promise<void> {
    const t0 = Date.now();
    const tick = 200;
    let next = 0;
    let lastReport = t0;
    for (let k = 1; next < events.length; k++) {
      const due = Math.min(events.length, Math.ceil((k * tick * events.length) / Math.max(tick, durationMs)));
      await this.send(events.slice(next, due));
      next = due;
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        progress(next);
      }
      const wait = t0 + k * tick - Date.now();
      if (wait > 0) await sleep(wait);
    }
  }
}

// ── drained ───────────────────────────────────────────────────────────────────────────────────

export interface WorkState {
  pending: number;
  inflight: number;
  jobs: Record<string, number>;
  busy: boolean;
}

export async function workState(web: WebService, prefix: string): Promise<WorkState> {
  const keys = new Keys(prefix);
  const jobs = await web.queues.recompute.getJobCounts(
    'waiting',
    'delayed',
    'active',
    'prioritized',
    'waiting-children',
    'failed',
  );
  const [pending, inflight] = await Promise.all([
    web.redis.scard(keys.pending(TENANT)),
    web.redis.scard(keys.inflight(TENANT)),
  ]);
  const busy =
    pending +
      inflight +
      (jobs['waiting'] ?? 0) +
      (jobs['delayed'] ?? 0) +
      (jobs['active'] ?? 0) +
      (jobs['prioritized'] ?? 0) +
      (jobs['waiting-children'] ?? 0) >
    0;
  return { pending, inflight, jobs, busy };
}

export function describeState(s: WorkState): string {
  return `pending ${s.pending}, in flight ${s.inflight}, jobs ${
    Object.entries(s.jobs)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  }`;
}

/** Until nothing is pending or in flight and no recompute job waits, is delayed or runs — twice in a row. */
export async function waitDrained(web: WebService, prefix: string, guard: Guard): Promise<void> {
  let quiet = 0;
  let lastReport = Date.now();
  while (quiet < 2) {
    const s = await workState(web, prefix);
    quiet = s.busy ? 0 : quiet + 1;
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      guard.log(`draining: ${describeState(s)}`);
    }
    await sleep(300);
  }
}

// ── verification ──────────────────────────────────────────────────────────────────────────────

export interface Verdict {
  contacts: number;
  /** Contacts leadstage never wrote (no score in the CRM). */
  lost: string[];
  /** Contacts whose score, grade, stage or lead status in the CRM differ from what their events imply. */
  wrong: { id: string; detail: string }[];
  tasks: number;
  /** Tasks beyond the first for one contact and stage (with regression: never, a stage is entered once). */
  duplicateTasks: number;
  /** Of those, tasks carrying the same idempotency marker as another one. */
  sameMarker: number;
  /** Contacts leadstage moved into a stage with a follow-up task, without that task in the CRM. */
  missingTasks: string[];
  /** Tasks whose owner differs from their contact's owner. */
  ownerMismatch: number;
  /** Tasks whose marker matches no (contact, task rule, stage, entry) the config could produce. */
  unknownTasks: number;
  mqls: number;
}

/**
 * Ground truth, independent of leadstage's Redis: plan every contact with the core from the contact
 * as the CRM holds it now and the activities the events we delivered imply, at `now`. Anything
 * the plan would still change (score, grade, stage, lead status) is wrong in the CRM.
 */
export function verify(
  sandbox: SandboxCrm,
  config: LeadstageConfig,
  truth: ReadonlyMap<string, Activity[]>,
  ids: readonly string[],
  initialStage: ReadonlyMap<string, string>,
  now: Date,
): Verdict {
  const mapping = mappingFor(config, { crm: 'hubspot', objectType: 'contact' });
  if (!mapping) throw new Error('the config has no crm.hubspot mapping');
  const stages = config.lifecycle.stages;
  const v: Verdict = {
    contacts: ids.length,
    lost: [],
    wrong: [],
    tasks: sandbox.hubspot.tasks.length,
    duplicateTasks: 0,
    sameMarker: 0,
    missingTasks: [],
    ownerMismatch: 0,
    unknownTasks: 0,
    mqls: 0,
  };
  const snapshots = new Map<string, ContactSnapshot>();
  for (const id of ids) {
    const c = sandbox.hubspot.contacts.get(id);
    if (!c) {
      v.lost.push(id);
      continue;
    }
    const snap = toSnapshot(id, c.properties, mapping);
    snapshots.set(id, snap);
    if (snap.stage === 'marketingqualifiedlead') v.mqls += 1;
    if (snap.scored?.score === null || snap.scored?.score === undefined) {
      v.lost.push(id);
      continue;
    }
    const result = planContact({
      contact: { ...snap, stageEntries: {} },
      activities: truth.get(id) ?? [],
      config,
      now,
      assignment: { rotation: {}, unavailableOwnerIds: [] },
    });
    if (!result.ok) {
      v.wrong.push({ id, detail: `plan failed: ${result.error.message}` });
      continue;
    }
    const p = result.plan;
    const diffs: string[] = [];
    if (p.changes.score !== undefined) diffs.push(`score ${snap.scored.score} ≠ ${p.score.total}`);
    if (p.changes.grade !== undefined) diffs.push(`grade ${snap.scored.grade} ≠ ${p.grade}`);
    if (p.changes.stage !== undefined) diffs.push(`stage ${snap.stage} ≠ ${p.changes.stage}`);
    if (p.changes.leadStatus !== undefined) diffs.push(`lead status ${snap.leadStatus} ≠ ${p.changes.leadStatus}`);
    if (diffs.length) v.wrong.push({ id, detail: diffs.join(', ') });
  }

  // Every key a task of ours could carry: contact × task rule × its stage × entry number 0–4.
  const keyOf = new Map<string, { contactId: string; stage: string }>();
  for (const [id, snap] of snapshots) {
    for (const rule of config.tasks)
      for (let entry = 0; entry < 5; entry++)
        keyOf.set(taskKey(snap, rule.id, rule.onEnter, entry), { contactId: id, stage: rule.onEnter });
  }
  const byMarker = new Map<string, number>();
  const byContactStage = new Map<string, number>();
  for (const t of sandbox.hubspot.tasks) {
    const key = /\[leadstage:([0-9a-f]+)\]/.exec(t.properties['hs_task_body'] ?? '')?.[1] ?? '';
    byMarker.set(key, (byMarker.get(key) ?? 0) + 1);
    const who = keyOf.get(key);
    if (!who) {
      v.unknownTasks += 1;
      continue;
    }
    const cs = `${who.contactId}|${who.stage}`;
    byContactStage.set(cs, (byContactStage.get(cs) ?? 0) + 1);
    const owner = sandbox.hubspot.contacts.get(who.contactId)?.properties['hubspot_owner_id'] ?? '';
    if ((t.properties['hubspot_owner_id'] ?? '') !== owner) v.ownerMismatch += 1;
  }
  for (const n of byContactStage.values()) v.duplicateTasks += n - 1;
  for (const [key, n] of byMarker) if (key) v.sameMarker += n - 1;
  // A contact that entered a task stage during the run (from below it) must have that stage's task.
  for (const [id, snap] of snapshots) {
    for (const rule of config.tasks) {
      const before = stages.indexOf(initialStage.get(id) ?? '');
      if (
        snap.stage === null ||
        stages.indexOf(snap.stage) < stages.indexOf(rule.onEnter) ||
        before >= stages.indexOf(rule.onEnter)
      )
        continue;
      if (!byContactStage.has(`${id}|${rule.onEnter}`)) v.missingTasks.push(`${id}:${rule.onEnter}`);
    }
  }
  return v;
}

/** The largest number of calls that arrived within any 10 s (by default) window. */
export function maxInWindow(times: readonly number[], windowMs = 10_000): { max: number; at: number } {
  const t = [...times].sort((a, b) => a - b);
  let best = { max: 0, at: 0 };
  for (let i = 0, j = 0; i < t.length; i++) {
    while (j < t.length && t[j]! < t[i]! + windowMs) j++;
    if (j - i > best.max) best = { max: j - i, at: t[i]! };
  }
  return best;
}

export function verdictFailures(v: Verdict): string[] {
  const out: string[] = [];
  if (v.lost.length)
    out.push(`${v.lost.length} lost (${v.lost.slice(0, 5).join(', ')}${v.lost.length > 5 ? ', …' : ''})`);
  if (v.wrong.length)
    out.push(
      `${v.wrong.length} wrong (${v.wrong
        .slice(0, 3)
        .map((w) => `${w.id}: ${w.detail}`)
        .join('; ')}${v.wrong.length > 3 ? '; …' : ''})`,
    );
  if (v.duplicateTasks) out.push(`${v.duplicateTasks} duplicate tasks (${v.sameMarker} with the same marker)`);
  if (v.missingTasks.length)
    out.push(`${v.missingTasks.length} missing tasks (${v.missingTasks.slice(0, 5).join(', ')})`);
  if (v.unknownTasks) out.push(`${v.unknownTasks} tasks with an unknown marker`);
  return out;
}
