import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { IngressOp, Activity } from '../../src/platform/tenant.ts';
import type { FieldValue } from '../../src/core/types.ts';
import { rawBody } from '../shared/http.ts';
import { hubspotBatchSchema, normalizeHubSpotEvent, type HubSpotNormalizeOptions } from './hubspot-normalize.ts';
import { verifyHubSpotSignature } from './hubspot-signature.ts';
import { enqueueOps, knownActivityType, publicUrl, refuse, type IngressContext } from '../shared/ingress-context.ts';

export interface HubSpotRouterOptions extends HubSpotNormalizeOptions {
  clientSecret: string;
  /** Activity types a workflow webhook may report (built-in plus the config's custom ones). */
  activityTypes: ReadonlySet<string>;
}

function verified(
  ctx: IngressContext,
  req: Request,
  res: Response,
  secret: string,
  source: 'hubspot' | 'hubspot-workflow',
): boolean {
  const check = verifyHubSpotSignature(
    { method: req.method, url: publicUrl(ctx, req.originalUrl), rawBody: rawBody(req), headers: req.headers },
    secret,
    ctx.clock(),
  );
  if (check.ok) return true;
  // The URL we verified against: a wrong PUBLIC_BASE_URL shows up here at once.
  const detail: Record<string, string> =
    check.reason === 'bad signature' ? { verifiedUrl: publicUrl(ctx, req.originalUrl).split('?')[0]! } : {};
  refuse(ctx, res, source, 401, check.reason.replace(/ /g, '_'), check.reason, detail);
  return false;
}

function parseJson(buf: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** Flatten a workflow payload's properties ({ prop: value } or { prop: { value } }) into attributes. */
function workflowAttributes(body: Record<string, unknown>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  const add = (k: string, v: unknown) => {
    if (Object.keys(out).length >= 50) return;
    if (v && typeof v === 'object' && 'value' in v) v = (v as { value: unknown }).value;
    if (typeof v === 'string') out[k] = v.slice(0, 500);
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  };
  for (const [k, v] of Object.entries(body)) if (k !== 'properties') add(k, v);
  const props = body['properties'];
  if (props && typeof props === 'object') for (const [k, v] of Object.entries(props)) add(k, v);
  return out;
}

export function hubspotRouter(ctx: IngressContext, opts: HubSpotRouterOptions): Router {
  const router = express.Router();

  // App webhooks: a JSON array of up to 100 events, signed v3 (or v1 by older apps).
  router.post('/webhooks/hubspot', async (req, res) => {
    ctx.metrics.received.inc({ source: 'hubspot' });
    if (!verified(ctx, req, res, opts.clientSecret, 'hubspot')) return;
    const json = parseJson(rawBody(req));
    const parsed = json.ok ? hubspotBatchSchema.safeParse(json.value) : null;
    if (!parsed?.success) {
      return refuse(
        ctx,
        res,
        'hubspot',
        400,
        'malformed',
        json.ok ? 'expected a JSON array of 1 to 100 HubSpot events' : 'body is not JSON',
      );
    }
    // Each portal's own written properties (a tenant config may name them differently) are its echoes;
    // a property only the default config writes is a real change in that portal.
    const own = new Map<string, ReadonlySet<string>>();
    for (const portalId of new Set(parsed.data.map((e) => String(e.portalId)))) {
      const v = await ctx.vocabulary?.({ crm: 'hubspot', id: portalId }).catch(() => null);
      if (v) own.set(portalId, v.ownProperties('hubspot'));
    }
    const ops = parsed.data.flatMap((e) =>
      normalizeHubSpotEvent(e, { ...opts, ownProperties: own.get(String(e.portalId)) ?? opts.ownProperties }),
    );
    if (await enqueueOps(ctx, res, 'hubspot', ops, parsed.data.length)) res.status(204).end();
  });

  // Workflow "Send a webhook" actions (v2-signed): how portals report form submissions and
  // marketing-email engagement. The activity type is part of the URL the admin configures.
  router.post('/webhooks/hubspot/workflow/:activityType', async (req, res) => {
    ctx.metrics.received.inc({ source: 'hubspot-workflow' });
    if (!verified(ctx, req, res, opts.clientSecret, 'hubspot-workflow')) return;
    const type = String(req.params['activityType']);
    const raw = rawBody(req);
    const json = parseJson(raw);
    const body =
      json.ok && json.value && typeof json.value === 'object' && !Array.isArray(json.value)
        ? (json.value as Record<string, unknown>)
        : null;
    const props = (body?.['properties'] ?? {}) as Record<string, unknown>;
    const pick = (...vals: unknown[]) => {
      for (let v of vals) {
        if (v && typeof v === 'object' && 'value' in v) v = (v as { value: unknown }).value;
        if ((typeof v === 'number' || typeof v === 'string') && /^\d+$/.test(String(v))) return String(v);
      }
      return undefined;
    };
    const contactId = body && pick(body['objectId'], body['vid'], body['hs_object_id'], props['hs_object_id']);
    const portalId = body && pick(body['portalId'], body['portal-id'], req.query['portalId']);
    if (!body || !contactId || !portalId) {
      return refuse(
        ctx,
        res,
        'hubspot-workflow',
        400,
        'malformed',
        'expected a JSON object with objectId (or vid) and portalId (or ?portalId= in the URL)',
      );
    }
    if (!(await knownActivityType(ctx, opts.activityTypes, { crm: 'hubspot', id: portalId }, type))) {
      return refuse(ctx, res, 'hubspot-workflow', 400, 'unknown_activity_type', `unknown activity type "${type}"`);
    }
    const occurred = typeof body['occurredAt'] === 'number' ? body['occurredAt'] : ctx.clock();
    // A workflow retry resends the same bytes, so the body's hash is the delivery id.
    const digest = createHash('sha256').update(raw).digest('hex').slice(0, 40);
    const activity: Activity = {
      id: `hubspot-workflow:${type}:${digest}`,
      type,
      at: occurred,
      attributes: workflowAttributes(body),
    };
    const ops: IngressOp[] = [
      {
        kind: 'activity',
        deliveryKey: `hubspot-workflow:${portalId}:${type}:${digest}`,
        contact: { tenant: { crm: 'hubspot', id: portalId }, objectType: 'contact', id: contactId },
        activity,
      },
    ];
    if (await enqueueOps(ctx, res, 'hubspot-workflow', ops, 1)) res.status(204).end();
  });

  return router;
}
