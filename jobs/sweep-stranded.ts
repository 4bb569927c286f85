import type { Logger } from '../src/platform/logger.ts';
import { tenantKey, type Tenant } from '../src/platform/tenant.ts';

export interface SweepDeps {
  /** Tenants with contacts pending or in flight. */
  tenantsWithWork: () => Promise<Tenant[]>;
  /** Whether leadstage still serves the tenant (an uninstalled one's work is not requeued). */
  isServed: (tenant: Tenant) => Promise<boolean>;
  /** Ask for a recompute job; absorbed when one is already waiting, delayed or running. */
  requestRecompute: (tenant: Tenant) => Promise<void>;
  log: Logger;
}

/**
 * The sweeper owns every in-flight state: any tenant whose contacts wait in a pending or
 * in-flight set gets a recompute job asked for. A job that failed for good (stalled too often,
 * attempts exhausted) therefore cannot strand its contacts; a tenant whose job is still there
 * loses nothing, since the request is deduplicated per tenant.
 */
export async function sweepStranded(deps: SweepDeps): Promise<{ tenants: number; requeued: number }> {
  const tenants = await deps.tenantsWithWork();
  let requeued = 0;
  for (const t of tenants) {
    if (!(await deps.isServed(t))) continue;
    await deps.requestRecompute(t);
    requeued += 1;
  }
  if (requeued > 0)
    deps.log.info(
      { tenants: tenants.length, requeued, sample: tenants.slice(0, 5).map(tenantKey) },
      'sweep: recompute requested for tenants with unfinished work',
    );
  return { tenants: tenants.length, requeued };
}
