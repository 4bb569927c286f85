import type { WebhookModule } from '../shared/webhook-module.ts';
import { eventsRouter } from './events-router.ts';

/** The generic signed feed for other sources (product usage, web tracking, webinar tools). */
export const eventsWebhooks: WebhookModule = {
  source: 'events',
  router: (ctx, { env, activityTypes }) => eventsRouter(ctx, { secret: env.EVENTS_SIGNING_SECRET!, activityTypes }),
};
