import { applyChanges } from '../src/core/apply-changes.ts';
import type { LeadstageConfig } from '../src/core/model.ts';
import { planContact } from '../src/core/plan-contact.ts';
import type { ContactSnapshot, Plan, PlanChanges } from '../src/core/types.ts';
import type { ContactWrite, CrmOwner, CrmPort } from '../src/platform/crm-port.ts';
import type { Tenant } from '../src/platform/tenant.ts';
import type { AfterPlan } from '../src/store/decay-store.ts';
import type { NewDeadLetter } from '../src/store/dead-letters.ts';
import type { LedgerEntry } from '../src/store/score-ledger.ts';
import { createTasksStep } from './create-tasks-step.ts';
import { watchEntries, type SlaState } from './escalate-tenant.ts';
import { ledgerEntry } from './ledger-entry.ts';
import { awayOwnerIds } from './owner-availability.ts';
import { planWithRotation, unavailableOwners } from './plan-batch.ts';
import type { ActivityReader, DeadLetterSink, DecayState, RecomputeStore, ScoreHistory } from './recompute-ports.ts';

/** What planning contacts and applying their plans needs: the recompute and the rescore share it. */
export interface PlanApplyDeps {
  config: LeadstageConfig;
  crm: CrmPort;
  activities: ActivityReader;
  store: RecomputeStore;
  deadLetters: DeadLetterSink;
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

/** A contact as read from the CRM and the plan the core made for it. */
export interface PlannedContact {
  snapshot: ContactSnapshot;
  plan: Plan;
}

export interface ApplyOutcome {
  written: number;
  unchanged: number;
  tasksCreated: number;
  tasksAlreadyThere: number;
  /** Refused for good: in the dead-letter list. */
  deadLettered: { id: string; reason: string }[];
  /** Transient failures: the caller retries them (recompute: in flight; rescore: handed to recompute). */
  retry: { id: string; reason: string }[];
}

/** Whether applying this plan would call the CRM (a field to write or a task to create). */
export const touchesCrm = (p: Plan): boolean => Object.keys(p.changes).length > 0 || p.tasks.length > 0;

/**
 * Plan contacts read from the CRM with their stored activities and stage entries; owner picks
 * chain through the one rotation state shared by all workers.
 */
export async function planSnapshots(
  tenant: Tenant,
  snapshots: readonly ContactSnapshot[],
  deps: PlanApplyDeps,
  now: Date,
): Promise<PlannedContact[]> {
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const ids = [...byId.keys()];
  const [activities, entries] = await Promise.all([
    deps.activities.activitiesMany(tenant, ids, now.getTime()),
    deps.store.stageEntries(tenant, ids),
  ]);
  const needOwners = ids.length > 0 && deps.config.assignment.owners.some((o) => o.ids[tenant.crm]);
  const unavailable = needOwners
    ? [
        ...unavailableOwners(deps.config, tenant.crm, await deps.owners(tenant)),
        ...awayOwnerIds(deps.config, tenant.crm, now.getTime(), (await deps.awayOwners?.()) ?? new Map()),
      ]
    : [];
  const plans = await planWithRotation(tenant, deps.store, deps.config, ids, unavailable, (id, assignment) => {
    const result = planContact({
      contact: { ...byId.get(id)!, stageEntries: entries.get(id) ?? {} },
      activities: activities.get(id) ?? [],
      config: deps.config,
      now,
      assignment,
    });
    if (!result.ok) throw new Error(`planning contact ${id}: ${result.error.message}`); // a bug: inputs come from our own reads
    return result.plan;
  });
  return ids.map((id) => ({ snapshot: byId.get(id)!, plan: plans.get(id)! }));
}

function afterPlan(snapshot: ContactSnapshot, written: PlanChanges, plan: { nextChangeAt: string | null }): AfterPlan {
  return {
    snapshot: applyChanges(snapshot, written),
    nextChangeAt: plan.nextChangeAt === null ? null : Date.parse(plan.nextChangeAt),
  };
}

/** A redone batch keeps the owner the contact's existing task has (the rotation may have moved on). */
function ownedLikeItsTask(
  changes: PlanChanges,
  current: string | null,
  owners: ReadonlyMap<string, string | null>,
  id: string,
): PlanChanges {
  if (!owners.has(id)) return changes;
  const owner = owners.get(id) ?? null;
  const { ownerId: _planned, ...rest } = changes;
  return owner && owner !== current ? { ...rest, ownerId: owner } : rest;
}

/**
 * Apply plans: tasks first through the idempotency ledger, then one write of only what changed
 * (the adapter splits it into CRM-sized calls), then stage entries, the decay schedule, the score
 * ledger (`cause` 'event') and the dead letters. `dead`: letters the caller already has (malformed ids).
 * Tasks go first: if the stage write then fails, the retry plans the same stage entry, finds the
 * task in the ledger, and does not create it again.
 */
export async function applyPlans(
  tenant: Tenant,
  planned: readonly PlannedContact[],
  deps: PlanApplyDeps,
  now: Date,
  dead: NewDeadLetter[] = [],
): Promise<ApplyOutcome> {
  const out: ApplyOutcome = {
    written: 0,
    unchanged: 0,
    tasksCreated: 0,
    tasksAlreadyThere: 0,
    deadLettered: [],
    retry: [],
  };
  const plans = new Map(planned.map((p) => [p.snapshot.id, p.plan]));
  const snapshots = new Map(planned.map((p) => [p.snapshot.id, p.snapshot]));
  const ids = [...plans.keys()];
  const tasks = await createTasksStep(tenant, deps.crm, deps.store, plans, now);
  out.tasksCreated = tasks.created;
  out.tasksAlreadyThere = tasks.alreadyThere;
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
      if (taskFailure.retryable) out.retry.push({ id, reason: taskFailure.reason });
      else dead.push({ kind: 'task', objectType: plan.contact.objectType, id, reason: taskFailure.reason });
      continue;
    }
    const changes = ownedLikeItsTask(plan.changes, snapshots.get(id)!.ownerId, tasks.existingOwners, id);
    if (Object.keys(changes).length === 0) out.unchanged += 1;
    else writes.push({ objectType: plan.contact.objectType, id, changes, fromStage: plan.stage.from, scoredAt: now });
  }
  const entered: { id: string; stage: string }[] = [];
  const ledger: { id: string; entry: LedgerEntry }[] = [];
  const written = new Map(writes.map((w) => [w.id, w.changes]));
  // Unchanged contacts, and written ones below: their new state and next decay instant.
  const after: AfterPlan[] = ids
    .filter((id) => !tasks.failed.has(id) && !written.has(id))
    .map((id) => afterPlan(snapshots.get(id)!, {}, plans.get(id)!));
  for (const outcome of await deps.crm.writeContacts(tenant, writes)) {
    const plan = plans.get(outcome.id)!;
    if (outcome.ok) {
      out.written += 1;
      after.push(afterPlan(snapshots.get(outcome.id)!, written.get(outcome.id)!, plan));
      const entry = ledgerEntry(
        snapshots.get(outcome.id)!,
        plan,
        written.get(outcome.id)!,
        now,
        'event',
        deps.configVersion,
      );
      if (entry) ledger.push({ id: outcome.id, entry });
      if (plan.changes.stage) entered.push({ id: outcome.id, stage: plan.changes.stage });
    } else if (outcome.retryable) {
      out.retry.push({ id: outcome.id, reason: outcome.reason });
    } else {
      dead.push({ kind: 'contact', objectType: plan.contact.objectType, id: outcome.id, reason: outcome.reason });
    }
  }
  await deps.store.recordEntries(tenant, entered);
  await deps.decay?.record(tenant, after);
  await deps.ledger?.append(tenant, ledger);
  await deps.deadLetters.add(tenant, dead, now);
  out.deadLettered = dead.map((d) => ({ id: d.id, reason: d.reason }));
  return out;
}
