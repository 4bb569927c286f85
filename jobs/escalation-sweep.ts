import { CrmRateLimitedError } from '../src/platform/crm-errors.ts';
import type { Logger } from '../src/platform/logger.ts';
import { tenantKey, type Tenant } from '../src/platform/tenant.ts';
import type { EscalationSummary } from './escalate-tenant.ts';

export interface EscalationSweepDeps {
  tenants: () => Promise<Tenant[]>;
  /** One run of a tenant's due SLA steps; null when the tenant is not served now. */
  run: (tenant: Tenant) => Promise<EscalationSummary | null>;
  log: Logger;
}

/**
 * Every tenant's due SLA steps, run after run until none is left. A rate-limited tenant waits for
 * the next sweep (its steps stay due, nothing is lost); one tenant's failure does not stop the others.
 */
export async function escalationSweep(deps: EscalationSweepDeps): Promise<{ tenants: number; steps: number }> {
  let steps = 0;
  const tenants = await deps.tenants();
  for (const t of tenants) {
    try {
      for (let run = 0; run < 100; run++) {
        const s = await deps.run(t);
        if (!s) break;
        steps += s.reminded + s.reassigned + s.escalated + s.retired + s.returned;
        if (!s.more) break;
      }
    } catch (err) {
      if (!(err instanceof CrmRateLimitedError))
        deps.log.warn({ tenant: tenantKey(t), err: (err as Error).message }, 'sla escalation failed for a tenant');
    }
  }
  return { tenants: tenants.length, steps };
}
