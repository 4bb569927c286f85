import type { ContactRefById, CrmPort } from '../src/platform/crm-port.ts';
import type { Tenant } from '../src/platform/tenant.ts';

export interface ReplayDeps {
  crm: CrmPort;
  markPending: (tenant: Tenant, refs: readonly ContactRefById[]) => Promise<void>;
  requestRecompute: (tenant: Tenant) => Promise<void>;
  /** Most records one replay queues (HubSpot's search pages up to 10,000). */
  maxRecords: number;
  /** Non-urgent: stop when the account has used this share of its daily API quota. */
  maxQuotaShare: number;
}

export type ReplayResult =
  | { ok: true; queued: number; crmCalls: number; stopped: 'done' | 'quota' | 'limit'; lastModifiedAt: number | null }
  | { ok: false; reason: string };

/**
 * `leadstage replay --since`: re-queue every contact the CRM says was modified since a time
 * (after an outage, a bad config, a webhook subscription that was off), whatever leadstage last
 * saw — unlike the sweep, which queues only those that differ. Listing pages through the shared
 * quota; running workers recompute them and write only what changed.
 */
export async function replayTenant(tenant: Tenant, since: Date, deps: ReplayDeps): Promise<ReplayResult> {
  if (!deps.crm.listModifiedSince)
    return { ok: false, reason: `${tenant.crm} cannot list records by modification time` };
  const callsBefore = deps.crm.calls;
  let queued = 0;
  let last: number | null = null;
  let stopped: 'done' | 'quota' | 'limit' = 'done';
  for await (const page of deps.crm.listModifiedSince(tenant, since, deps.maxRecords)) {
    await deps.markPending(
      tenant,
      page.map((r) => ({ objectType: r.snapshot.objectType, id: r.snapshot.id })),
    );
    await deps.requestRecompute(tenant);
    queued += page.length;
    last = page.at(-1)?.modifiedAt ?? last;
    const share = (await deps.crm.quotaShare?.(tenant)) ?? null;
    if (share !== null && share >= deps.maxQuotaShare) {
      stopped = 'quota';
      break;
    }
  }
  if (stopped === 'done' && queued >= deps.maxRecords) stopped = 'limit';
  return { ok: true, queued, crmCalls: deps.crm.calls - callsBefore, stopped, lastModifiedAt: last };
}
