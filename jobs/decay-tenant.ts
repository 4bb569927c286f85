import { applyChanges } from '../src/core/apply-changes.ts';
import type { LeadstageConfig } from '../src/core/model.ts';
import { planContact } from '../src/core/plan-contact.ts';
import type { Plan } from '../src/core/types.ts';
import type { Clock } from '../src/platform/clock.ts';
import type { ContactRefById, ContactWrite, CrmPort } from '../src/platform/crm-port.ts';
import type { Logger } from '../src/platform/logger.ts';
import { tenantKey, type Tenant } from '../src/platform/tenant.ts';
import { parsePendingMember } from '../src/store/activity-store.ts';
import type { AfterPlan } from '../src/store/decay-store.ts';
import type { LedgerEntry } from '../src/store/score-ledger.ts';
import { ledgerEntry } from './ledger-entry.ts';
import type { ActivityReader, DecayState, ScoreHistory } from './recompute-ports.ts';

export interface DecayDeps {
  config: LeadstageConfig;
  crm: CrmPort;
  activities: ActivityReader;
  decay: DecayState;
  /** Hand a contact to the full recompute (no snapshot yet, or decay would create a task or pick an owner). */
  markPending: (tenant: Tenant, refs: readonly ContactRefById[]) => Promise<void>;
  clock: Clock;
  log: Logger;
  batchSize: number;
  /** Where each accepted score or stage change is recorded (absent: no ledger). */
  ledger?: ScoreHistory;
  configVersion?: string;
}

export interface DecaySummary {
  tenant: string;
  due: number;
  written: number;
  unchanged: number;
  handedOver: number;
  failed: number;
  more: boolean;
}

/** A write refused now is tried again this much later, not at once (no hot loop on a bad record). */
const RETRY_LATER_MS = 60 * 60_000;

/**
 * Decay reaching the CRM without an event: the tenant's contacts whose scheduled instant has
 * come are replanned from their last known state (no read from the CRM), only what changed is
 * written, in batches, and each is rescheduled at its next instant. A contact whose replan would
 * enter a stage with a task or pick an owner is handed to the full recompute instead.
 */
export async function decayTenant(tenant: Tenant, deps: DecayDeps): Promise<DecaySummary> {
  const now = deps.clock.now();
  const members = await deps.decay.due(tenant, now.getTime(), deps.batchSize);
  const summary: DecaySummary = {
    tenant: tenantKey(tenant),
    due: members.length,
    written: 0,
    unchanged: 0,
    handedOver: 0,
    failed: 0,
    more: false,
  };
  if (members.length === 0) return summary;
  const refs = members.map(parsePendingMember);
  const snapshots = await deps.decay.snapshots(
    tenant,
    refs.map((r) => r.id),
  );
  const activities = await deps.activities.activitiesMany(tenant, [...snapshots.keys()], now.getTime());

  const handOver: ContactRefById[] = [];
  const writes: ContactWrite[] = [];
  const after = new Map<string, AfterPlan>();
  const ledger: { id: string; entry: LedgerEntry }[] = [];
  const plans = new Map<string, Plan>();
  for (const ref of refs) {
    const snapshot = snapshots.get(ref.id);
    const result = snapshot
      ? planContact({ contact: snapshot, activities: activities.get(ref.id) ?? [], config: deps.config, now })
      : null;
    if (!result?.ok || result.plan.tasks.length > 0 || result.plan.rotation) {
      handOver.push(ref);
      continue;
    }
    plans.set(ref.id, result.plan);
    const { changes, nextChangeAt } = result.plan;
    const { ownerId: _owner, ...visible } = changes; // decay never reassigns
    after.set(ref.id, {
      snapshot: applyChanges(snapshot!, visible),
      nextChangeAt: nextChangeAt === null ? null : Date.parse(nextChangeAt),
    });
    if (Object.keys(visible).length === 0) summary.unchanged += 1;
    else
      writes.push({
        objectType: ref.objectType,
        id: ref.id,
        changes: visible,
        fromStage: snapshot!.stage,
        scoredAt: now,
      });
  }
  const changesOf = new Map(writes.map((w) => [w.id, w.changes]));
  for (const outcome of await deps.crm.writeContacts(tenant, writes)) {
    if (outcome.ok) {
      summary.written += 1;
      const entry = ledgerEntry(
        snapshots.get(outcome.id)!,
        plans.get(outcome.id)!,
        changesOf.get(outcome.id)!,
        now,
        'decay',
        deps.configVersion,
      );
      if (entry) ledger.push({ id: outcome.id, entry });
    } else {
      summary.failed += 1;
      const stale = after.get(outcome.id)!;
      after.set(outcome.id, { snapshot: snapshots.get(outcome.id)!, nextChangeAt: now.getTime() + RETRY_LATER_MS });
      deps.log.warn(
        { tenant: summary.tenant, contact: outcome.id, reason: outcome.reason, wanted: stale.nextChangeAt },
        'decay write refused; trying again later',
      );
    }
  }
  await deps.decay.record(tenant, [...after.values()]);
  await deps.ledger?.append(tenant, ledger);
  if (handOver.length) {
    await deps.markPending(tenant, handOver);
    await deps.decay.unschedule(
      tenant,
      handOver.map((r) => `${r.objectType}:${r.id}`),
    );
    summary.handedOver = handOver.length;
  }
  summary.more = members.length === deps.batchSize;
  return summary;
}
