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
  const out: TasksOutcome = { created: 0, alreadyThere: 0, failed: new Map() };
  const wanted = [...plans.values()].flatMap((p) => p.tasks.map((task) => ({ contact: p.contact, task })));
  if (wanted.length === 0) return out;
  const claims = await ledger.claimTasks(tenant, wanted.map((w) => w.task.key), randomUUID(), now);
  const toCreate: TaskToCreate[] = [];
  const stale: TaskToCreate[] = [];
  let since = now.getTime();
  for (const { contact, task } of wanted) {
    const claim = claims.get(task.key)!;
    if (claim.state === 'done') {
      out.alreadyThere += 1;
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
  if (stale.length > 0) {
    // Claimed by an attempt that never confirmed: they may or may not have reached the CRM. One
    // batch-sized lookup for all of them, not a search per task.
    const found = await crm.findTasks(tenant, stale.map((s) => ({ key: s.task.key, contact: s.contact })), new Date(since - CLAIM_SKEW_MS));
    for (const s of stale) {
      const existing = found.get(s.task.key);
      if (existing) {
        await ledger.confirmTask(tenant, s.task.key, existing);
        out.alreadyThere += 1;
      } else {
        toCreate.push(s);
      }
    }
  }
  const byKey = new Map<string, { contactId: string; task: PlannedTask }>(wanted.map((w) => [w.task.key, { contactId: w.contact.id, task: w.task }]));
  for (const outcome of await crm.createTasks(tenant, toCreate)) {
    const contactId = byKey.get(outcome.key)!.contactId;
    if (outcome.ok) {
      await ledger.confirmTask(tenant, outcome.key, outcome.taskId);
      out.created += 1;
    } else {
      // Refused for good: forget the claim, so a fixed config or a retry can create it later.
      if (!outcome.retryable) await ledger.releaseTask(tenant, outcome.key);
      out.failed.set(contactId, { ok: false, reason: `task: ${outcome.reason}`, retryable: outcome.retryable });
    }
  }
  return out;
}
