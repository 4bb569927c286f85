import type { ContactRefById, CrmPort } from '../src/platform/crm-port.ts';
import type { Tenant } from '../src/platform/tenant.ts';

export interface RescoreDeps {
  crm: CrmPort;
  /** Add contacts to the tenant's pending-recompute set. */
  markPending: (tenant: Tenant, refs: readonly ContactRefById[]) => Promise<void>;
  /** Ask for a recompute job for the tenant (one per tenant; extra requests are absorbed). */
  requestRecompute: (tenant: Tenant) => Promise<void>;
  /**
   * A rescore is not urgent: it stops when the account has used this share of its daily API quota
   * (where the CRM reports it), keeping the rest for live work. Default 0.8.
   */
  maxQuotaShare?: number;
}

export interface RescoreResult {
  queued: number;
  /** Set when the rescore stopped early to spare the account's daily quota. */
  stoppedAtQuotaShare: number | null;
}

/**
 * Mark every contact of an account pending (after a config change, say). Listing pages through
 * the shared quota; the workers then recompute in full batches, writing only what changed.
 * Returns how many contacts were queued, and whether it stopped to spare the daily quota.
 */
export async function rescoreTenant(tenant: Tenant, deps: RescoreDeps): Promise<RescoreResult> {
  let queued = 0;
  const max = deps.maxQuotaShare ?? 0.8;
  for await (const page of deps.crm.listContactIds(tenant)) {
    const share = (await deps.crm.quotaShare?.(tenant)) ?? null;
    if (share !== null && share >= max) return { queued, stoppedAtQuotaShare: share };
    if (page.length === 0) continue;
    await deps.markPending(tenant, page);
    queued += page.length;
    // Workers start on the first pages while the listing goes on.
    await deps.requestRecompute(tenant);
  }
  return { queued, stoppedAtQuotaShare: null };
}
