import { eventsWebhooks } from '../../webhooks/events/index.ts';
import { hubspotWebhooks } from '../../webhooks/hubspot/index.ts';
import { salesforceWebhooks } from '../../webhooks/salesforce/index.ts';
import type { WebhookModule } from '../../webhooks/shared/webhook-module.ts';

/** Every webhook source, mounted when named in LEADSTAGE_SOURCES. One line each. */
export const WEBHOOKS: readonly WebhookModule[] = [hubspotWebhooks, salesforceWebhooks, eventsWebhooks];
