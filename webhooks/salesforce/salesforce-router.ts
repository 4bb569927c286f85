import { timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import { rawBody } from '../shared/http.ts';
import { enqueueOps, refuse, type IngressContext } from '../shared/ingress-context.ts';
import { normalizeOutboundMessage, parseOutboundMessage, SOAP_ACK } from './salesforce-normalize.ts';

export interface SalesforceRouterOptions {
  /** The secret token the Outbound Message endpoint URL carries as ?token=. */
  token: string;
  /** Accepted organization ids (15-character form). */
  orgIds: readonly string[];
  integrationUserId?: string;
  /** Orgs installed through the connected app (any status): accepted like the configured ones. */
  isKnownOrg?: (orgId15: string) => Promise<boolean>;
}

function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Salesforce Outbound Messaging. It has no signature: we accept only the configured orgs and a
 * secret token in the URL, and acknowledge (SOAP <Ack>true</Ack>) only after queueing, since an
 * ack tells Salesforce to stop retrying.
 */
export function salesforceRouter(ctx: IngressContext, opts: SalesforceRouterOptions): Router {
  const router = express.Router();
  router.post('/webhooks/salesforce', async (req, res) => {
    ctx.metrics.received.inc({ source: 'salesforce' });
    if (!sameToken(req.query['token'], opts.token)) {
      return refuse(ctx, res, 'salesforce', 401, 'bad_token', 'bad or missing token');
    }
    const parsed = parseOutboundMessage(rawBody(req));
    if (!parsed.ok) {
      return refuse(ctx, res, 'salesforce', 400, 'malformed', parsed.reason);
    }
    const org = parsed.value.organizationId.slice(0, 15);
    if (!opts.orgIds.includes(org) && !(await opts.isKnownOrg?.(org))) {
      return refuse(ctx, res, 'salesforce', 401, 'unknown_org', 'organization not accepted');
    }
    for (const skip of parsed.value.skipped) {
      ctx.metrics.rejected.inc({ source: 'salesforce', reason: 'notification_skipped' });
      ctx.log.warn(
        {
          source: 'salesforce',
          org: parsed.value.organizationId,
          notification: skip.id,
          index: skip.index,
          reason: skip.reason,
        },
        'outbound notification skipped',
      );
    }
    const ops = normalizeOutboundMessage(
      parsed.value,
      opts.integrationUserId ? { integrationUserId: opts.integrationUserId } : {},
    );
    if (await enqueueOps(ctx, res, 'salesforce', ops, parsed.value.notifications.length)) {
      res.status(200).type('text/xml; charset=utf-8').send(SOAP_ACK);
    }
  });
  return router;
}
