import { hubspotDefaultLimit } from '../crm/hubspot/index.ts';
import type { Env } from '../platform/env.ts';
import type { TenantRecord } from '../platform/tenant-directory.ts';

/** A tenant's request quota: `max` calls per `windowMs`. */
export interface Quota {
  max: number;
  windowMs: number;
}

/**
 * The quota the adapters pace this tenant at, as wired in src/crm/<name>/index.ts: a limit the
 * CRM announced (`learned`, from HubSpot's headers) wins; else HubSpot's by app type and tier
 * unless HUBSPOT_REQUESTS_PER_WINDOW says, Salesforce's SALESFORCE_REQUESTS_PER_WINDOW. Null for
 * a CRM this table does not know.
 */
export function tenantQuota(
  env: Env,
  record: Pick<TenantRecord, 'tenant' | 'tier'>,
  learned: Quota | null,
): Quota | null {
  const defaults: Record<string, () => Quota> = {
    hubspot: () => ({
      max: env.HUBSPOT_REQUESTS_PER_WINDOW ?? hubspotDefaultLimit(record.tier),
      windowMs: env.HUBSPOT_WINDOW_MS,
    }),
    salesforce: () => ({ max: env.SALESFORCE_REQUESTS_PER_WINDOW, windowMs: env.SALESFORCE_WINDOW_MS }),
  };
  const fallback = defaults[record.tenant.crm];
  return learned ?? (fallback ? fallback() : null);
}
