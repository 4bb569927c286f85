import type { WebhookModule } from '../shared/webhook-module.ts';
import { salesforceRouter } from './salesforce-router.ts';

/** Salesforce Outbound Messages (SOAP), sent by a record-triggered Flow. */
export const salesforceWebhooks: WebhookModule = {
  source: 'salesforce',
  router: (ctx, { env, isKnownTenant }) =>
    salesforceRouter(ctx, {
      token: env.SALESFORCE_WEBHOOK_TOKEN!,
      orgIds: env.salesforceOrgIds,
      isKnownOrg: (org) => isKnownTenant({ crm: 'salesforce', id: org }),
      ...(env.SALESFORCE_INTEGRATION_USER_ID ? { integrationUserId: env.SALESFORCE_INTEGRATION_USER_ID } : {}),
    }),
};
