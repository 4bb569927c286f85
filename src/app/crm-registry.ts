import { hubspotCrm } from '../crm/hubspot/index.ts';
import { salesforceCrm } from '../crm/salesforce/index.ts';
import type { CrmModule } from '../platform/crm-module.ts';

/**
 * Every CRM leadstage speaks: one line each. Adding a CRM is a folder under src/crm (and its
 * webhook route under webhooks/, listed in webhook-registry.ts) plus a line here; see
 * ARCHITECTURE.md, "Adding a CRM".
 */
export const CRMS: readonly CrmModule[] = [hubspotCrm, salesforceCrm];

export function crmModule(kind: string): CrmModule | undefined {
  return CRMS.find((c) => c.kind === kind);
}
