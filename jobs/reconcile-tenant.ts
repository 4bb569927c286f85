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
  /**
   * Records stamped this long ago are taken as settled: nothing can still appear with that stamp
   * (default 5 min). Until then the watermark stays on the newest stamp seen (inclusive), so a
   * record committed late with an older stamp is not skipped; after, it moves past it.
   */
  settleMs?: number;
}

export interface ReconcileSummary {
  seen: number;
  queued: number;
  crmCalls: number;
  stopped: 'done' | 'quota' | 'limit';
}

const differs = (a: ContactSnapshot, b: ContactSnapshot): boolean =>
  a.stage !== b.stage ||
  a.leadStatus !== b.leadStatus ||
  a.ownerId !== b.ownerId ||
  JSON.stringify(a.fields) !== JSON.stringify(b.fields) ||
  JSON.stringify(a.scored ?? null) !== JSON.stringify(b.scored ?? null);

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
    const known = await deps.known.snapshots(
      tenant,
      page.map((r) => r.snapshot.id),
    );
    const changed = page.filter((r) => {
      const k = known.get(r.snapshot.id);
      return !k || differs(k, r.snapshot);
    });
    if (changed.length)
      await deps.markPending(
        tenant,
        changed.map((r) => ({ objectType: r.snapshot.objectType, id: r.snapshot.id })),
      );
    out.queued += changed.length;
    for (const r of page) mark = Math.max(mark, r.modifiedAt);
    // Inclusive: the records stamped `mark` may not all have been seen yet (a page can end among them).
    await deps.watermark.set(tenant, mark);
    const share = (await deps.crm.quotaShare?.(tenant)) ?? null;
    if (share !== null && share >= deps.maxQuotaShare) {
      out.stopped = 'quota';
      break;
    }
  }
  if (out.stopped === 'done') {
    // The CRM ends a run only at the end of a group of equal stamps: every record stamped `mark` was
    // seen. Once settled, the next run starts after them; otherwise a group larger than maxRecords
    // would be read again forever.
    if (out.seen >= deps.maxRecords) out.stopped = 'limit';
    if (out.seen > 0 && mark < deps.clock.now().getTime() - (deps.settleMs ?? 300_000))
      await deps.watermark.set(tenant, mark + 1);
  }
  out.crmCalls = deps.crm.calls - callsBefore;
  return out;
}
