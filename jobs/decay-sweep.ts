import { CrmRateLimitedError } from '../src/platform/crm-errors.ts';
import type { Logger } from '../src/platform/logger.ts';
import { tenantKey, type Tenant } from '../src/platform/tenant.ts';
import type { DecaySummary } from './decay-tenant.ts';

export interface DecaySweepDeps {
  tenants: () => Promise<Tenant[]>;
  /** One batch of a tenant's due decay; null when the tenant is not served now. */
  run: (tenant: Tenant) => Promise<DecaySummary | null>;
  log: Logger;
}

/**
 * Every tenant's due decay, batch after batch. Decay is not urgent: a rate-limited tenant stops
 * until the next sweep, and one tenant's failure does not stop the others.
 */
export async function decaySweep(deps: DecaySweepDeps): Promise<{ tenants: number; written: number }> {
  let written = 0;
  const tenants = await deps.tenants();
  for (const t of tenants) {
    try {
      for (let batch = 0; batch < 1_000; batch++) {
        const s = await deps.run(t);
        if (!s) break;
        written += s.written;
        if (!s.more) break;
      }
    } catch (err) {
      if (!(err instanceof CrmRateLimitedError))
        deps.log.warn({ tenant: tenantKey(t), err: (err as Error).message }, 'decay sweep failed for a tenant');
    }
  }
  if (written) deps.log.info({ tenants: tenants.length, written }, 'decay written');
  return { tenants: tenants.length, written };
}
