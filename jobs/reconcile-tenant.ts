import type { ContactSnapshot } from '../src/core/types.ts';
import type { Clock } from '../src/platform/clock.ts';
import type { ContactRefById, CrmPort } from '../src/platform/crm-port.ts';
import type { Tenant } from '../src/platform/tenant.ts';
import type { DecayState } from './recompute-ports.ts';

export interface ReconcileDeps {
  crm: CrmPort;
  /** The contacts' last known state (recorded after every recompute). */
  known: Pick<DecayState, 'snapshots'>;
  markPending: (tenant: Tenant, refs: readonly ContactRefById[]) => Promise<void>;
  watermark: { get(tenant: Tenant): Promise<number | null>; set(tenant: Tenant, ms: number): Promise<void> };
  clock: Clock;
  /** Most records one run looks at (the next run goes on from the watermark). */
  maxRecords: number;
  /** Non-urgent: stop when the account has used this share of its daily API quota. */
  maxQuotaShare: number;
  /** A first run looks back this far (webhooks may have been lost for about a day). */
  firstLookBackMs?: number;
}

export interface ReconcileSummary {
  seen: number;
  queued: number;
  crmCalls: number;
  stopped: 'done' | 'quota' | 'limit';
}

const differs = (a: ContactSnapshot, b: ContactSnapshot): boolean =>
  a.stage !== b.stage || a.leadStatus !== b.leadStatus || a.ownerId !== b.ownerId ||
  JSON.stringify(a.fields) !== JSON.stringify(b.fields) || JSON.stringify(a.scored ?? null) !== JSON.stringify(b.scored ?? null);

/**
 * The reconciliation sweep: webhooks get lost (HubSpot gives up after ~24 h of retries, Salesforce
 * drops Outbound Messages after 24 h). Ask the CRM for contacts modified since the watermark,
 * queue those whose data differs from what leadstage last saw (our own writes match and are
 * skipped), and advance the watermark. Low priority: it stops near the daily quota.
 */
export async function reconcileTenant(tenant: Tenant, deps: ReconcileDeps): Promise<ReconcileSummary> {
  if (!deps.crm.listModifiedSince) return { seen: 0, queued: 0, crmCalls: 0, stopped: 'done' };
  const callsBefore = deps.crm.calls;
  const since = (await deps.watermark.get(tenant)) ?? deps.clock.now().getTime() - (deps.firstLookBackMs ?? 86_400_000);
  const out: ReconcileSummary = { seen: 0, queued: 0, crmCalls: 0, stopped: 'done' };
  let mark = since;
  for await (const page of deps.crm.listModifiedSince(tenant, new Date(since), deps.maxRecords)) {
    out.seen += page.length;
    const known = await deps.known.snapshots(tenant, page.map((r) => r.snapshot.id));
    const changed = page.filter((r) => {
      const k = known.get(r.snapshot.id);
      return !k || differs(k, r.snapshot);
    });
    if (changed.length) await deps.markPending(tenant, changed.map((r) => ({ objectType: r.snapshot.objectType, id: r.snapshot.id })));
    out.queued += changed.length;
    for (const r of page) mark = Math.max(mark, r.modifiedAt);
    await deps.watermark.set(tenant, mark);
    const share = (await deps.crm.quotaShare?.(tenant)) ?? null;
    if (share !== null && share >= deps.maxQuotaShare) {
      out.stopped = 'quota';
      break;
    }
    if (out.seen >= deps.maxRecords) {
      out.stopped = 'limit';
      break;
    }
  }
  out.crmCalls = deps.crm.calls - callsBefore;
  return out;
}
