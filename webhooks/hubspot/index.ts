import type { WebhookModule } from '../shared/webhook-module.ts';
import { hubspotRouter } from './hubspot-router.ts';

/** HubSpot app webhooks (v3 signed batches) and workflow "Send a webhook" calls (v2). */
export const hubspotWebhooks: WebhookModule = {
  source: 'hubspot',
  router: (ctx, { env, activityTypes, ownProperties }) =>
    hubspotRouter(ctx, {
      clientSecret: env.HUBSPOT_CLIENT_SECRET!,
      activityTypes,
      ownProperties,
      ...(env.HUBSPOT_APP_ID ? { appId: env.HUBSPOT_APP_ID } : {}),
    }),
};
