import { CrmRateLimitedError } from '../src/platform/crm-errors.ts';
import type { Logger } from '../src/platform/logger.ts';
import { tenantKey, type Tenant } from '../src/platform/tenant.ts';

export interface TenantSweepDeps<S extends { more: boolean }> {
  tenants: () => Promise<Tenant[]>;
  /** One run of a tenant's due work; null when the tenant is not served now. */
  run: (tenant: Tenant) => Promise<S | null>;
  log: Logger;
}

export interface TenantSweepOptions<S> {
  /** What the sweep does, for its log lines ("decay", "sla escalation"). */
  what: string;
  /** Runs per tenant at most in one sweep (the rest waits for the next one). */
  maxRuns: number;
  /** The effects a run had (writes, steps), summed over the sweep. */
  count: (summary: S) => number;
}

/**
 * Every tenant's due time-driven work, run after run while a run says there is more. Not urgent: a
 * rate-limited tenant stops until the next sweep (its work stays due, nothing is lost), and one
 * tenant's failure does not stop the others. Shared by the decay and SLA sweeps.
 */
export async function sweepTenants<S extends { more: boolean }>(
  deps: TenantSweepDeps<S>,
  opts: TenantSweepOptions<S>,
): Promise<{ tenants: number; done: number }> {
  let done = 0;
  const tenants = await deps.tenants();
  for (const t of tenants) {
    try {
      for (let run = 0; run < opts.maxRuns; run++) {
        const s = await deps.run(t);
        if (!s) break;
        done += opts.count(s);
        if (!s.more) break;
      }
    } catch (err) {
      if (!(err instanceof CrmRateLimitedError))
        deps.log.warn({ tenant: tenantKey(t), err: (err as Error).message }, `${opts.what} failed for a tenant`);
    }
  }
  if (done) deps.log.info({ tenants: tenants.length, done }, `${opts.what} swept`);
  return { tenants: tenants.length, done };
}
