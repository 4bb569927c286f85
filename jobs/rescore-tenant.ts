import type { ContactRefById, CrmPort } from '../src/platform/crm-port.ts';
import type { Tenant } from '../src/platform/tenant.ts';

export interface RescoreDeps {
  crm: CrmPort;
  /** Add contacts to the tenant's pending-recompute set. */
  markPending: (tenant: Tenant, refs: readonly ContactRefById[]) => Promise<void>;
  /** Ask for a recompute job for the tenant (one per tenant; extra requests are absorbed). */
  requestRecompute: (tenant: Tenant) => Promise<void>;
}

/**
 * Mark every contact of an account pending (after a config change, say). Listing pages through
 * the shared quota; the workers then recompute in full batches, writing only what changed.
 * Returns how many contacts were queued.
 */
export async function rescoreTenant(tenant: Tenant, deps: RescoreDeps): Promise<number> {
  let queued = 0;
  for await (const page of deps.crm.listContactIds(tenant)) {
    if (page.length === 0) continue;
    await deps.markPending(tenant, page);
    queued += page.length;
    // Workers start on the first pages while the listing goes on.
    await deps.requestRecompute(tenant);
  }
  return queued;
}
