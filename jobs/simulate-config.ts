import type { Plan } from '../src/core/types.ts';

/** What a recompute with one config would do to one contact now (a plan, slimmed for a whole account). */
export interface SimulatedSide {
  score: number;
  /** The stage the plan leaves the contact in (null: none). */
  stage: string | null;
  /** The fields a recompute would write (empty: it writes nothing). */
  changed: string[];
  /** The owner id of each follow-up task it would create (null: unassigned). */
  taskOwners: (string | null)[];
}

/** One contact planned with the current config (`before`) and the new one (`after`). */
export interface SimulatedContact {
  objectType: string;
  id: string;
  /** The listing page it came in (1, 2, …): the rescore pools its writes page by page. */
  page: number;
  before: SimulatedSide;
  after: SimulatedSide;
}

export function simulatedSide(plan: Plan): SimulatedSide {
  return {
    score: plan.score.total,
    stage: plan.stage.to,
    changed: Object.keys(plan.changes),
    taskOwners: plan.tasks.map((t) => t.ownerId),
  };
}

/** How the account's CRM is called when the change is applied (a rescore), and at what pace. */
export interface CostModel {
  /** Calls that read (the listing pages and the owner list the simulation itself took, as a rescore takes them). */
  readCalls: number;
  /** Records per batch write, and per task batch create (HubSpot 100, Salesforce 200). */
  writeBatch: number;
  taskBatch: number;
  /** The tenant's request quota: `max` calls per `windowMs`. */
  limit: { max: number; windowMs: number };
  /** Calls per window a rescore may take (it runs at low priority, below the full quota; default `limit.max`). */
  rescoreMax?: number;
}

/** Options of {@link summarizeSimulation}. */
export interface SummaryOptions {
  /** Stage names in lifecycle order (the new config's, then any only the current one has). */
  stages: readonly string[];
  /** CRM owner id → the config's owner key, to name owners in the task counts. */
  ownerNames: ReadonlyMap<string, string>;
  cost: CostModel;
  /** How many top movers to list (default 10). */
  top?: number;
}

export interface SimulationReport {
  contacts: number;
  /** Score buckets (`<0`, `0–9` … `90–99`, `≥100`) and how many contacts fall in each. */
  histogram: { buckets: string[]; before: number[]; after: number[] };
  /** matrix[i][j]: contacts in stage labels[i] under the current config and labels[j] under the new one. */
  stages: { labels: string[]; matrix: number[][]; moved: number };
  /** Follow-up tasks applying the new config creates; `baseline`: what the current one would create now anyway. */
  tasks: { total: number; baseline: number; byOwner: { ownerId: string | null; name: string | null; count: number }[] };
  /** Contacts whose score or stage moves most (ids only, never names or e-mails). */
  movers: { objectType: string; id: string; score: [number, number]; stage: [string | null, string | null] }[];
  /** Applying it: a rescore reads every contact and writes only those that change. */
  cost: {
    changedContacts: number;
    readCalls: number;
    writeCalls: number;
    taskCalls: number;
    totalCalls: number;
    limit: { max: number; windowMs: number };
    /** The least time the calls take at the tenant's quota (rolling window): 0 when they fit in one window. */
    seconds: number;
    /** The same at the rescore's low-priority share of the quota (when no live work competes). */
    rescoreSeconds: number;
  };
}

/** The label of a stage, null included. */
export const NO_STAGE = '(none)';
export const SCORE_BUCKETS = ['<0', ...Array.from({ length: 10 }, (_, i) => `${i * 10}–${i * 10 + 9}`), '≥100'];

export function bucketOf(score: number): number {
  if (score < 0) return 0;
  return score >= 100 ? SCORE_BUCKETS.length - 1 : 1 + Math.floor(score / 10);
}

const stageRank = (labels: readonly string[], stage: string | null) => labels.indexOf(stage ?? NO_STAGE);

/**
 * The whole account's simulation in figures: histograms, the stage transition matrix, tasks by
 * owner, the contacts that move most and what applying it would cost in CRM calls and time.
 * Pure: the same planned contacts always give the same report.
 */
export function summarizeSimulation(contacts: readonly SimulatedContact[], opts: SummaryOptions): SimulationReport {
  const before = SCORE_BUCKETS.map(() => 0);
  const after = SCORE_BUCKETS.map(() => 0);
  const labels = [NO_STAGE, ...opts.stages];
  for (const c of contacts)
    for (const s of [c.before.stage, c.after.stage]) if (s !== null && !labels.includes(s)) labels.push(s);
  const matrix = labels.map(() => labels.map(() => 0));
  const owners = new Map<string | null, number>();
  let moved = 0;
  let baseline = 0;
  let taskTotal = 0;
  for (const c of contacts) {
    before[bucketOf(c.before.score)]! += 1;
    after[bucketOf(c.after.score)]! += 1;
    matrix[stageRank(labels, c.before.stage)]![stageRank(labels, c.after.stage)]! += 1;
    if (c.before.stage !== c.after.stage) moved += 1;
    baseline += c.before.taskOwners.length;
    taskTotal += c.after.taskOwners.length;
    for (const o of c.after.taskOwners) owners.set(o, (owners.get(o) ?? 0) + 1);
  }
  const byOwner = [...owners]
    .map(([ownerId, count]) => ({
      ownerId,
      name: ownerId === null ? null : (opts.ownerNames.get(ownerId) ?? null),
      count,
    }))
    .sort((a, b) => b.count - a.count || String(a.ownerId).localeCompare(String(b.ownerId)));
  return {
    contacts: contacts.length,
    histogram: { buckets: [...SCORE_BUCKETS], before, after },
    stages: { labels, matrix, moved },
    tasks: { total: taskTotal, baseline, byOwner },
    movers: topMovers(contacts, labels, opts.top ?? 10),
    cost: callCost(contacts, opts.cost),
  };
}

/** Largest score change first, then the longest stage move; ties by id, so the list is stable. */
function topMovers(
  contacts: readonly SimulatedContact[],
  labels: readonly string[],
  top: number,
): SimulationReport['movers'] {
  const stageMove = (c: SimulatedContact) =>
    Math.abs(stageRank(labels, c.after.stage) - stageRank(labels, c.before.stage));
  return contacts
    .filter((c) => c.before.score !== c.after.score || c.before.stage !== c.after.stage)
    .map((c) => ({ c, ds: Math.abs(c.after.score - c.before.score), dm: stageMove(c) }))
    .sort((a, b) => b.ds - a.ds || b.dm - a.dm || a.c.id.localeCompare(b.c.id))
    .slice(0, top)
    .map(({ c }) => ({
      objectType: c.objectType,
      id: c.id,
      score: [c.before.score, c.after.score],
      stage: [c.before.stage, c.after.stage],
    }));
}

/**
 * The calls `leadstage rescore` makes, following how it sends them (jobs/rescore-tenant.ts): after
 * each page, the contacts that touch the CRM (a change or a task) are pooled per record kind (a batch
 * write never mixes Salesforce Leads and Contacts) and every full write batch among them is applied
 * at once, the rest after the last page; each application writes its changed contacts in batches
 * and creates its tasks in batches of their own.
 */
function callCost(contacts: readonly SimulatedContact[], model: CostModel): SimulationReport['cost'] {
  let writeCalls = 0;
  let taskCalls = 0;
  let changedContacts = 0;
  const pooled = new Map<string, SimulatedSide[]>();
  const flush = (all: boolean) => {
    for (const items of pooled.values()) {
      const n = all ? items.length : Math.floor(items.length / model.writeBatch) * model.writeBatch;
      const applied = items.splice(0, n);
      const changed = applied.filter((a) => a.changed.length > 0).length;
      changedContacts += changed;
      writeCalls += Math.ceil(changed / model.writeBatch);
      taskCalls += Math.ceil(applied.reduce((t, a) => t + a.taskOwners.length, 0) / model.taskBatch);
    }
  };
  contacts.forEach((c, i) => {
    if (c.after.changed.length > 0 || c.after.taskOwners.length > 0) {
      const items = pooled.get(c.objectType) ?? [];
      items.push(c.after);
      pooled.set(c.objectType, items);
    }
    if (contacts[i + 1]?.page !== c.page) flush(false);
  });
  flush(true);
  const totalCalls = model.readCalls + writeCalls + taskCalls;
  // A rolling window of `max` calls: the last call can go once all full windows before it have passed.
  const at = (max: number) =>
    totalCalls === 0 ? 0 : (Math.floor((totalCalls - 1) / max) * model.limit.windowMs) / 1000;
  return {
    changedContacts,
    readCalls: model.readCalls,
    writeCalls,
    taskCalls,
    totalCalls,
    limit: { ...model.limit },
    seconds: at(model.limit.max),
    rescoreSeconds: at(model.rescoreMax ?? model.limit.max),
  };
}
