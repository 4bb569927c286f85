import { planContact } from '../src/core/plan-contact.ts';
import type { LeadstageConfig } from '../src/core/model.ts';
import { applyChanges } from '../src/core/apply-changes.ts';
import type { ContactSnapshot, PlanChanges } from '../src/core/types.ts';
import type { AfterPlan } from '../src/store/decay-store.ts';
import type { Clock } from '../src/platform/clock.ts';
import { CrmRejectedError } from '../src/platform/crm-errors.ts';
import type { ContactWrite, CrmOwner, CrmPort } from '../src/platform/crm-port.ts';
import type { Logger } from '../src/platform/logger.ts';
import { tenantKey, type Tenant } from '../src/platform/tenant.ts';
import { parsePendingMember } from '../src/store/activity-store.ts';
import type { NewDeadLetter } from '../src/store/dead-letters.ts';
import type { LedgerEntry } from '../src/store/score-ledger.ts';
import { createTasksStep } from './create-tasks-step.ts';
import { watchEntries, type SlaState } from './escalate-tenant.ts';
import { ledgerEntry } from './ledger-entry.ts';
import { awayOwnerIds } from './owner-availability.ts';
import { planWithRotation, unavailableOwners } from './plan-batch.ts';
import type { ActivityReader, DeadLetterSink, DecayState, RecomputeStore, ScoreHistory } from './recompute-ports.ts';

export interface RecomputeDeps {
  config: LeadstageConfig;
  crm: CrmPort;
  activities: ActivityReader;
  store: RecomputeStore;
  deadLetters: DeadLetterSink;
  clock: Clock;
  log: Logger;
  /** Contacts per batch; the adapter splits larger ones into CRM-sized calls (HubSpot 100, Salesforce 200). */
  batchSize: number;
  /** Owners (and which are inactive) of the tenant's CRM, cached by the caller. */
  owners: (tenant: Tenant) => Promise<CrmOwner[]>;
  /** Owners marked away with `leadstage owners away`: owner key → until (epoch ms). */
  awayOwners?: () => Promise<ReadonlyMap<string, number>>;
  /** Where each contact's state and next decay instant go after it is written (absent: no decay). */
  decay?: DecayState;
  /** The version (hash) of the config these plans come from: logged with every batch it writes. */
  configVersion?: string;
  /** Where each accepted score or stage change is recorded (absent: no ledger). */
  ledger?: ScoreHistory;
  /** Where created follow-up tasks are watched for their SLA (absent: no escalation). */
  sla?: Pick<SlaState, 'watch'>;
}

export interface BatchSummary {
  tenant: string;
  contacts: number;
  written: number;
  unchanged: number;
  tasksCreated: number;
  tasksAlreadyThere: number;
  notFound: number;
  gone: number;
  /** Refused for good: in the dead-letter list, out of the batch. */
  deadLettered: { id: string; reason: string }[];
  /** The config version the batch was planned with. */
  configVersion?: string;
  /** Transient failures: still in flight, for the job's retry. */
  retry: { id: string; reason: string }[];
  crmCalls: number;
  morePending: boolean;
  ms: number;
}

function emptySummary(tenant: Tenant, contacts: number): BatchSummary {
  return {
    tenant: tenantKey(tenant), contacts, written: 0, unchanged: 0, tasksCreated: 0, tasksAlreadyThere: 0,
    notFound: 0, gone: 0, deadLettered: [], retry: [], crmCalls: 0, morePending: false, ms: 0,
  };
}

/**
 * Recompute one batch of a tenant's pending contacts: read them, plan each with its stored
 * activities, create the follow-up tasks through the idempotency ledger, then write only what
 * changed. Tasks go first: if the stage write then fails, the retry plans the same stage entry,
 * finds the task in the ledger, and does not create it again.
 *
 * Per-record failures are results, not exceptions: a record the CRM refuses for good goes to the
 * dead-letter list and leaves the batch; a transient one stays in flight and is listed in
 * `retry` (the BullMQ shell retries the job). Exceptions mean the whole call failed, or a bug.
 */
export async function recomputeTenant(tenant: Tenant, deps: RecomputeDeps): Promise<BatchSummary> {
  const started = deps.clock.now().getTime();
  const callsBefore = deps.crm.calls;
  // In a stable order (a Redis set has none): the same batch always gives the same owner picks.
  const members = (await deps.store.takeBatch(tenant, deps.batchSize)).sort();
  if (members.length === 0) return emptySummary(tenant, 0);
  const now = deps.clock.now();
  const summary = await applyIsolating(tenant, members, deps, now);
  if (deps.configVersion) summary.configVersion = deps.configVersion;

  const retryIds = new Set(summary.retry.map((f) => f.id));
  await deps.store.finish(tenant, members.filter((m) => !retryIds.has(parsePendingMember(m).id)));
  summary.morePending = (await deps.store.pendingCount(tenant)) > 0;
  summary.crmCalls = deps.crm.calls - callsBefore;
  summary.ms = deps.clock.now().getTime() - started;
  const { deadLettered, retry, ...counts } = summary;
  deps.log.info({ ...counts, deadLettered: deadLettered.length, retry: retry.length }, 'recompute batch applied');
  return summary;
}

/**
 * A batch the CRM refuses as a whole request (400: a malformed id in a query, a value one record
 * carries) is split in halves until the record that causes it stands alone; that record is
 * dead-lettered and the rest are applied. So one bad record never blocks its batch or its
 * tenant, at the price of about 2·log2(n) extra calls per bad record. Other refusals (401, 403:
 * credentials, scopes) concern every record and fail the job instead.
 */
async function applyIsolating(tenant: Tenant, members: readonly string[], deps: RecomputeDeps, now: Date): Promise<BatchSummary> {
  try {
    return await applyBatch(tenant, members, deps, now);
  } catch (err) {
    if (!(err instanceof CrmRejectedError) || (err.status !== 400 && err.status !== 422)) throw err;
    if (members.length === 1) {
      const ref = parsePendingMember(members[0]!);
      await deps.deadLetters.add(tenant, [{ kind: 'contact', objectType: ref.objectType, id: ref.id, reason: err.message }], now);
      return { ...emptySummary(tenant, 1), deadLettered: [{ id: ref.id, reason: err.message }] };
    }
    const half = Math.ceil(members.length / 2);
    const parts = [await applyIsolating(tenant, members.slice(0, half), deps, now), await applyIsolating(tenant, members.slice(half), deps, now)];
    return mergeSummaries(tenant, parts);
  }
}

function afterPlan(snapshot: ContactSnapshot, written: PlanChanges, plan: { nextChangeAt: string | null }): AfterPlan {
  return { snapshot: applyChanges(snapshot, written), nextChangeAt: plan.nextChangeAt === null ? null : Date.parse(plan.nextChangeAt) };
}

/** A redone batch keeps the owner the contact's existing task has (the rotation may have moved on). */
function ownedLikeItsTask(changes: PlanChanges, current: string | null, owners: ReadonlyMap<string, string | null>, id: string): PlanChanges {
  if (!owners.has(id)) return changes;
  const owner = owners.get(id) ?? null;
  const { ownerId: _planned, ...rest } = changes;
  return owner && owner !== current ? { ...rest, ownerId: owner } : rest;
}

function mergeSummaries(tenant: Tenant, parts: BatchSummary[]): BatchSummary {
  const out = emptySummary(tenant, 0);
  for (const p of parts) {
    for (const k of ['contacts', 'written', 'unchanged', 'tasksCreated', 'tasksAlreadyThere', 'notFound', 'gone'] as const) out[k] += p[k];
    out.deadLettered.push(...p.deadLettered);
    out.retry.push(...p.retry);
  }
  return out;
}

/** One batch: read, plan, tasks through the ledger, then the write of only what changed. */
async function applyBatch(tenant: Tenant, members: readonly string[], deps: RecomputeDeps, now: Date): Promise<BatchSummary> {
  const summary = emptySummary(tenant, members.length);
  const refs = members.map(parsePendingMember);
  const gone = await deps.store.gone(tenant, refs.map((r) => r.id));
  summary.gone = gone.size;
  // A malformed id is dead-lettered before any call: it would make the whole read fail.
  const dead: NewDeadLetter[] = [];
  const live = refs.filter((r) => {
    if (gone.has(r.id)) return false;
    const bad = deps.crm.rejectsId?.(r);
    if (bad) dead.push({ kind: 'contact', objectType: r.objectType, id: r.id, reason: bad });
    return !bad;
  });
  const snapshots = live.length ? await deps.crm.readContacts(tenant, live) : new Map();
  const found = live.filter((r) => snapshots.has(r.id));
  summary.notFound = live.length - found.length;
  const ids = found.map((r) => r.id);
  const [activities, entries] = await Promise.all([
    deps.activities.activitiesMany(tenant, ids, now.getTime()),
    deps.store.stageEntries(tenant, ids),
  ]);
  const needOwners = ids.length > 0 && deps.config.assignment.owners.some((o) => o.ids[tenant.crm]);
  const unavailable = needOwners ? [
    ...unavailableOwners(deps.config, tenant.crm, await deps.owners(tenant)),
    ...awayOwnerIds(deps.config, tenant.crm, now.getTime(), (await deps.awayOwners?.()) ?? new Map()),
  ] : [];

  // Plan every contact; owner picks chain through one rotation state shared by all workers.
  const plans = await planWithRotation(tenant, deps.store, deps.config, ids, unavailable, (id, assignment) => {
    const result = planContact({
      contact: { ...snapshots.get(id)!, stageEntries: entries.get(id) ?? {} },
      activities: activities.get(id) ?? [],
      config: deps.config,
      now,
      assignment,
    });
    if (!result.ok) throw new Error(`planning contact ${id}: ${result.error.message}`); // a bug: inputs come from our own reads
    return result.plan;
  });

  const tasks = await createTasksStep(tenant, deps.crm, deps.store, plans, now);
  summary.tasksCreated = tasks.created;
  summary.tasksAlreadyThere = tasks.alreadyThere;
  // Watch the SLA of every task the CRM now has (a task watched already keeps its state).
  if (deps.sla) {
    const wanted = [...plans.values()].flatMap((p) => p.tasks.map((task) => ({ contact: p.contact, task })));
    await deps.sla.watch(tenant, watchEntries(deps.config, tenant.crm, wanted, tasks.confirmed, now));
  }

  const writes: ContactWrite[] = [];
  for (const id of ids) {
    const plan = plans.get(id)!;
    const taskFailure = tasks.failed.get(id);
    if (taskFailure) {
      if (taskFailure.retryable) summary.retry.push({ id, reason: taskFailure.reason });
      else dead.push({ kind: 'task', objectType: plan.contact.objectType, id, reason: taskFailure.reason });
      continue;
    }
    const changes = ownedLikeItsTask(plan.changes, snapshots.get(id)!.ownerId, tasks.existingOwners, id);
    if (Object.keys(changes).length === 0) summary.unchanged += 1;
    else writes.push({ objectType: plan.contact.objectType, id, changes, fromStage: plan.stage.from, scoredAt: now });
  }
  const entered: { id: string; stage: string }[] = [];
  const ledger: { id: string; entry: LedgerEntry }[] = [];
  const written = new Map(writes.map((w) => [w.id, w.changes]));
  // Unchanged contacts, and written ones below: their new state and next decay instant.
  const after: AfterPlan[] = ids.filter((id) => !tasks.failed.has(id) && !written.has(id))
    .map((id) => afterPlan(snapshots.get(id)!, {}, plans.get(id)!));
  for (const outcome of await deps.crm.writeContacts(tenant, writes)) {
    const plan = plans.get(outcome.id)!;
    if (outcome.ok) {
      summary.written += 1;
      after.push(afterPlan(snapshots.get(outcome.id)!, written.get(outcome.id)!, plan));
      const entry = ledgerEntry(snapshots.get(outcome.id)!, plan, written.get(outcome.id)!, now, 'event', deps.configVersion);
      if (entry) ledger.push({ id: outcome.id, entry });
      if (plan.changes.stage) entered.push({ id: outcome.id, stage: plan.changes.stage });
    } else if (outcome.retryable) {
      summary.retry.push({ id: outcome.id, reason: outcome.reason });
    } else {
      dead.push({ kind: 'contact', objectType: plan.contact.objectType, id: outcome.id, reason: outcome.reason });
    }
  }
  await deps.store.recordEntries(tenant, entered);
  await deps.decay?.record(tenant, after);
  await deps.ledger?.append(tenant, ledger);
  await deps.deadLetters.add(tenant, dead, now);
  summary.deadLettered = dead.map((d) => ({ id: d.id, reason: d.reason }));
  return summary;
}
