import { randomUUID } from 'node:crypto';
import type { Plan, PlannedTask } from '../src/core/types.ts';
import type { ContactRefById, CrmPort, RecordFailure, TaskToCreate } from '../src/platform/crm-port.ts';
import type { Tenant } from '../src/platform/tenant.ts';
import type { TaskLedger } from './recompute-ports.ts';

export interface TasksOutcome {
  created: number;
  alreadyThere: number;
  /** Contacts whose task the CRM refused: their stage write waits, or the task would be lost. */
  failed: Map<string, RecordFailure>;
  /**
   * Contacts whose task already existed (a redone batch): the owner that task has. The contact
   * gets the same owner, even if this attempt's rotation would have picked another.
   */
  existingOwners: Map<string, string | null>;
  /** Every task of the batch that the CRM now has (created, found, or confirmed earlier): key → id and owner. */
  confirmed: Map<string, { taskId: string; ownerId: string | null }>;
}

/** A task to create for a contact, once. */
export interface WantedTask {
  contact: { objectType: ContactRefById['objectType']; id: string };
  task: PlannedTask;
}

/**
 * Create the batch's follow-up tasks through the idempotency ledger: a key already confirmed is
 * skipped; a key claimed by an attempt that never confirmed (a crash mid-create) is looked up in
 * the CRM first; the rest are created in CRM-sized calls, and each created one is confirmed.
 */
/** Clocks of workers and the CRM disagree a little: search this much before the earliest claim. */
const CLAIM_SKEW_MS = 5 * 60_000;

export async function createTasksStep(
  tenant: Tenant,
  crm: CrmPort,
  ledger: TaskLedger,
  plans: ReadonlyMap<string, Plan>,
  now: Date,
): Promise<TasksOutcome> {
  return createTasksOnce(
    tenant,
    crm,
    ledger,
    [...plans.values()].flatMap((p) => p.tasks.map((task) => ({ contact: p.contact, task }))),
    now,
  );
}

/** The same for any list of tasks (the SLA escalation's handoffs use it too). */
export async function createTasksOnce(
  tenant: Tenant,
  crm: CrmPort,
  ledger: TaskLedger,
  wanted: readonly WantedTask[],
  now: Date,
): Promise<TasksOutcome> {
  const out: TasksOutcome = {
    created: 0,
    alreadyThere: 0,
    failed: new Map(),
    existingOwners: new Map(),
    confirmed: new Map(),
  };
  if (wanted.length === 0) return out;
  const claims = await ledger.claimTasks(
    tenant,
    wanted.map((w) => ({ key: w.task.key, ownerId: w.task.ownerId })),
    randomUUID(),
    now,
  );
  const toCreate: TaskToCreate[] = [];
  const stale: TaskToCreate[] = [];
  let since = now.getTime();
  for (const { contact, task } of wanted) {
    const claim = claims.get(task.key)!;
    if (claim.state === 'done') {
      out.alreadyThere += 1;
      out.confirmed.set(task.key, { taskId: claim.taskId, ownerId: claim.ownerId });
      out.existingOwners.set(contact.id, claim.ownerId);
      continue;
    }
    const ref: ContactRefById = { objectType: contact.objectType, id: contact.id };
    if (claim.state === 'stale') {
      stale.push({ task, contact: ref });
      since = Math.min(since, claim.claimedAt);
    } else {
      toCreate.push({ task, contact: ref });
    }
  }
  const staleOwner = new Map(
    stale.map((s) => [s.task.key, (claims.get(s.task.key) as { ownerId: string | null }).ownerId]),
  );
  if (stale.length > 0) {
    // Claimed by an attempt that never confirmed: they may or may not have reached the CRM. One
    // batch-sized lookup for all of them, not a search per task.
    const found = await crm.findTasks(
      tenant,
      stale.map((s) => ({ key: s.task.key, contact: s.contact })),
      new Date(since - CLAIM_SKEW_MS),
    );
    for (const s of stale) {
      const existing = found.get(s.task.key);
      if (existing) {
        const owner = staleOwner.get(s.task.key) ?? null;
        await ledger.confirmTask(tenant, s.task.key, existing, owner);
        out.alreadyThere += 1;
        out.confirmed.set(s.task.key, { taskId: existing, ownerId: owner });
        out.existingOwners.set(s.contact.id, owner);
      } else {
        // Never reached the CRM: create it now, for the owner the first attempt planned.
        const owner = staleOwner.get(s.task.key);
        toCreate.push(
          owner !== undefined && owner !== s.task.ownerId ? { ...s, task: { ...s.task, ownerId: owner } } : s,
        );
        if (owner !== undefined) out.existingOwners.set(s.contact.id, owner);
      }
    }
  }
  const byKey = new Map<string, { contactId: string; task: PlannedTask }>(
    wanted.map((w) => [w.task.key, { contactId: w.contact.id, task: w.task }]),
  );
  for (const outcome of await crm.createTasks(tenant, toCreate)) {
    const contactId = byKey.get(outcome.key)!.contactId;
    if (outcome.ok) {
      const created = toCreate.find((t) => t.task.key === outcome.key)?.task.ownerId ?? null;
      await ledger.confirmTask(tenant, outcome.key, outcome.taskId, created);
      out.created += 1;
      out.confirmed.set(outcome.key, { taskId: outcome.taskId, ownerId: created });
    } else {
      // Refused for good: forget the claim, so a fixed config or a retry can create it later.
      if (!outcome.retryable) await ledger.releaseTask(tenant, outcome.key);
      out.failed.set(contactId, { ok: false, reason: `task: ${outcome.reason}`, retryable: outcome.retryable });
    }
  }
  return out;
}
