import { HUBSPOT_BATCH } from '../crm/hubspot/hubspot-adapter.ts';
import { hubspotDefaultLimit } from '../crm/hubspot/index.ts';
import { SALESFORCE_BATCH } from '../crm/salesforce/salesforce-adapter.ts';
import type { Env } from '../platform/env.ts';
import type { TenantRecord } from '../platform/tenant-directory.ts';

/** How a CRM's adapter batches writes and tasks, and the tenant's request quota. */
export interface CrmPace {
  writeBatch: number;
  taskBatch: number;
  limit: { max: number; windowMs: number };
}

/**
 * The batch sizes and the default quota the adapters use for this tenant, as wired in
 * src/crm/<name>/index.ts (HubSpot by app type and tier unless HUBSPOT_REQUESTS_PER_WINDOW says;
 * Salesforce SALESFORCE_REQUESTS_PER_WINDOW). A limit the CRM announced since wins (the caller's
 * `learned`). Null for a CRM this table does not know.
 */
export function crmPace(env: Env, record: Pick<TenantRecord, 'tenant' | 'tier'>, learned: CrmPace['limit'] | null): CrmPace | null {
  const pace: Record<string, () => CrmPace> = {
    hubspot: () => ({
      writeBatch: HUBSPOT_BATCH, taskBatch: HUBSPOT_BATCH,
      limit: { max: env.HUBSPOT_REQUESTS_PER_WINDOW ?? hubspotDefaultLimit(record.tier), windowMs: env.HUBSPOT_WINDOW_MS },
    }),
    salesforce: () => ({
      writeBatch: SALESFORCE_BATCH, taskBatch: SALESFORCE_BATCH,
      limit: { max: env.SALESFORCE_REQUESTS_PER_WINDOW, windowMs: env.SALESFORCE_WINDOW_MS },
    }),
  };
  const p = pace[record.tenant.crm]?.();
  return p ? { ...p, limit: learned ?? p.limit } : null;
}
