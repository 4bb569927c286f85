import { randomUUID } from 'node:crypto';
import type { LeadstageConfig } from '../src/config/schema.ts';
import { crmOwnerId } from '../src/core/assign-owner.ts';
import { planContact } from '../src/core/plan-contact.ts';
import type { AssignmentState, Plan, PlannedTask } from '../src/core/types.ts';
import type { ContactWrite, CrmPort, TaskToCreate } from '../src/crm/crm-port.ts';
import { parsePendingMember, type ActivityStore } from '../src/ingest/activity-store.ts';
import { tenantKey, type Tenant } from '../src/ingest/ops.ts';
import type { Logger } from '../src/server/logger.ts';
import type { WorkerStore } from '../src/worker/worker-store.ts';

export interface RecomputeDeps {
  config: LeadstageConfig;
  crm: CrmPort;
  activities: ActivityStore;
  store: WorkerStore;
  clock: () => Date;
  log: Logger;
  /** Contacts per batch; the adapter splits larger ones into CRM-sized calls (HubSpot 100, Salesforce 200). */
  batchSize: number;
  /** Owners (and which are inactive) per tenant, cached by the caller. */
  owners: (tenant: Tenant) => Promise<{ id: string; active: boolean }[]>;
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
  failed: { id: string; error: string; retryable: boolean }[];
  crmCalls: number;
  morePending: boolean;
  ms: number;
}

/** Some contacts failed in a way retrying cannot fix (the CRM rejected them). */
export class ContactsRejectedError extends Error {
  readonly failures: { id: string; error: string }[];
  constructor(failures: { id: string; error: string }[]) {
    super(`CRM rejected ${failures.length} contact(s): ${failures.slice(0, 5).map((f) => `${f.id}: ${f.error}`).join('; ')}`);
    this.name = 'ContactsRejectedError';
    this.failures = failures;
  }
}

/** Some contacts hit a transient failure; the batch stays in flight and the job is retried. */
export class ContactsRetryError extends Error {
  readonly failures: { id: string; error: string }[];
  constructor(failures: { id: string; error: string }[]) {
    super(`transient CRM failure for ${failures.length} contact(s): ${failures[0]?.error ?? ''}`);
    this.name = 'ContactsRetryError';
    this.failures = failures;
  }
}

function emptySummary(tenant: Tenant, contacts: number): BatchSummary {
  return {
    tenant: tenantKey(tenant), contacts, written: 0, unchanged: 0, tasksCreated: 0, tasksAlreadyThere: 0,
    notFound: 0, gone: 0, failed: [], crmCalls: 0, morePending: false, ms: 0,
  };
}

/**
 * Recompute one batch of a tenant's pending contacts (up to `batchSize`; the adapter splits each
 * operation into CRM-sized calls sent side by side): read them, plan each with its stored
 * activities, create the follow-up tasks through the idempotency ledger, then write only what
 * changed. Tasks go first: if the stage write then fails, the retry plans the same stage entry,
 * finds the task in the ledger, and does not create it again. Contacts with transient failures
 * stay in flight for the retry.
 */
export async function recomputeTenant(tenant: Tenant, deps: RecomputeDeps): Promise<BatchSummary> {
  const started = Date.now();
  const callsBefore = deps.crm.calls;
  const members = await deps.store.takeBatch(tenant, deps.batchSize);
  if (members.length === 0) return emptySummary(tenant, 0);
  const summary = await applyBatch(tenant, members, deps, deps.clock());
  const retryIds = new Set(summary.failed.filter((f) => f.retryable).map((f) => f.id));

  // Done with everything but transient failures, which stay in flight for the retry.
  await deps.store.finish(tenant, members.filter((m) => !retryIds.has(parsePendingMember(m).id)));
  summary.morePending = (await deps.store.pendingCount(tenant)) > 0;
  summary.crmCalls = deps.crm.calls - callsBefore;
  summary.ms = Date.now() - started;
  deps.log.info(
    { tenant: summary.tenant, contacts: summary.contacts, written: summary.written, unchanged: summary.unchanged, tasksCreated: summary.tasksCreated, tasksAlreadyThere: summary.tasksAlreadyThere, notFound: summary.notFound, gone: summary.gone, failed: summary.failed.length, crmCalls: summary.crmCalls, ms: summary.ms },
    'recompute batch applied',
  );
  if (retryIds.size > 0) throw new ContactsRetryError(summary.failed.filter((f) => f.retryable));
  const rejected = summary.failed.filter((f) => !f.retryable);
  if (rejected.length > 0) throw new ContactsRejectedError(rejected);
  return summary;
}

/** One batch: read, plan, tasks through the ledger, then the write of only what changed. */
async function applyBatch(tenant: Tenant, members: readonly string[], deps: RecomputeDeps, now: Date): Promise<BatchSummary> {
  const summary = emptySummary(tenant, members.length);

  deps.log.debug({ tenant: summary.tenant, contacts: members.length }, 'recompute batch taken');
  const refs = members.map(parsePendingMember);
  const gone = await deps.store.gone(tenant, refs.map((r) => r.id));
  summary.gone = gone.size;
  const live = refs.filter((r) => !gone.has(r.id));
  const snapshots = live.length ? await deps.crm.readContacts(tenant, live) : new Map();
  const found = live.filter((r) => snapshots.has(r.id));
  summary.notFound = live.length - found.length;
  const ids = found.map((r) => r.id);
  deps.log.debug({ tenant: summary.tenant, found: ids.length }, 'contacts read');
  const [activities, entries] = await Promise.all([deps.activities.activitiesMany(tenant, ids, now.getTime()), deps.store.stageEntries(tenant, ids)]);

  // Plan every contact; owner picks chain through one rotation state shared by all workers.
  const plans = await planWithRotation(tenant, deps, ids, (id, assignment) => {
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

  deps.log.debug({ tenant: summary.tenant, planned: plans.size }, 'contacts planned');
  // Tasks first, through the ledger.
  const blocked = new Set<string>();
  const token = randomUUID();
  const wanted = ids.flatMap((id) => plans.get(id)!.tasks.map((task) => ({ id, task })));
  const claims = await deps.store.claimTasks(tenant, wanted.map((w) => w.task.key), token);
  const toCreate: TaskToCreate[] = [];
  for (const { id, task } of wanted) {
    const claim = claims.get(task.key)!;
    if (claim.state === 'done') {
      summary.tasksAlreadyThere += 1;
      continue;
    }
    const contact = { objectType: snapshots.get(id)!.objectType, id };
    if (claim.state === 'stale') {
      // An earlier attempt claimed it and never confirmed: it may or may not have reached the CRM.
      const existing = await deps.crm.findTask(tenant, task.key, contact);
      if (existing) {
        await deps.store.confirmTask(tenant, task.key, existing);
        summary.tasksAlreadyThere += 1;
        continue;
      }
    }
    toCreate.push({ task, contact });
  }
  const byKey = new Map<string, { id: string; task: PlannedTask }>(wanted.map((w) => [w.task.key, w]));
  for (const outcome of await deps.crm.createTasks(tenant, toCreate)) {
    const contactId = byKey.get(outcome.key)!.id;
    if (outcome.ok) {
      await deps.store.confirmTask(tenant, outcome.key, outcome.taskId);
      summary.tasksCreated += 1;
    } else {
      if (!outcome.retryable) await deps.store.releaseTask(tenant, outcome.key);
      summary.failed.push({ id: contactId, error: `task: ${outcome.error}`, retryable: outcome.retryable });
      blocked.add(contactId); // its stage write waits, or the task would never be created
    }
  }

  // Then the contact writes: only what changed.
  const writes: ContactWrite[] = [];
  for (const id of ids) {
    const plan = plans.get(id)!;
    if (blocked.has(id)) continue;
    if (Object.keys(plan.changes).length === 0) summary.unchanged += 1;
    else writes.push({ objectType: plan.contact.objectType, id, changes: plan.changes, fromStage: plan.stage.from, scoredAt: now });
  }
  const entered: { id: string; stage: string }[] = [];
  for (const outcome of await deps.crm.writeContacts(tenant, writes)) {
    if (outcome.ok) {
      summary.written += 1;
      const stage = plans.get(outcome.id)!.changes.stage;
      if (stage) entered.push({ id: outcome.id, stage });
    } else {
      summary.failed.push({ id: outcome.id, error: outcome.error, retryable: outcome.retryable });
    }
  }
  await deps.store.recordEntries(tenant, entered);
  return summary;
}

/**
 * Plan contacts in order, chaining owner-rotation credits from Redis; then store the new credits
 * with compare-and-set. If another worker moved a pool meanwhile, reload and plan again.
 */
async function planWithRotation(
  tenant: Tenant,
  deps: RecomputeDeps,
  ids: readonly string[],
  plan: (id: string, assignment: AssignmentState) => Plan,
): Promise<Map<string, Plan>> {
  const pools = deps.config.assignment.pools.map((p) => p.id);
  const configured = new Set(deps.config.assignment.owners.map((o) => crmOwnerId(o, tenant.crm)).filter((x): x is string => Boolean(x)));
  let unavailableOwnerIds: string[] = [];
  if (ids.length > 0 && configured.size > 0) {
    const owners = await deps.owners(tenant);
    const active = new Set(owners.filter((o) => o.active).map((o) => o.id));
    // Inactive in the CRM, or configured but unknown to the CRM: never assign to them.
    unavailableOwnerIds = [...new Set([...owners.filter((o) => !o.active).map((o) => o.id), ...[...configured].filter((id) => !active.has(id))])];
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const snap = await deps.store.loadRotation(tenant.crm, pools);
    const assignment: AssignmentState = { rotation: structuredClone(snap.credits), unavailableOwnerIds };
    const plans = new Map<string, Plan>();
    const moved = new Set<string>();
    for (const id of ids) {
      const p = plan(id, assignment);
      if (p.rotation) {
        assignment.rotation[p.rotation.poolId] = p.rotation.credits;
        moved.add(p.rotation.poolId);
      }
      plans.set(id, p);
    }
    let ok = true;
    for (const pool of moved) {
      if (!(await deps.store.commitRotation(tenant.crm, pool, snap.versions[pool]!, assignment.rotation[pool]!))) ok = false;
    }
    if (ok) return plans;
  }
  throw new Error('owner rotation kept changing under this batch; will retry');
}
