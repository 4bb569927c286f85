import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import { feedBodySchema, feedTenant, normalizeFeed } from './events-normalize.ts';
import { tenantKey } from '../../src/platform/tenant.ts';
import { rawBody } from '../shared/http.ts';
import { enqueueOps, refuse, type IngressContext } from '../shared/ingress-context.ts';

export const FEED_WINDOW_MS = 5 * 60_000;

/** The feed signature: hex HMAC-SHA256 over "<timestamp>.<raw body>". */
export function signFeed(secret: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

export interface EventsRouterOptions {
  secret: string;
  activityTypes: ReadonlySet<string>;
}

/**
 * The generic signed feed for other sources (product usage, web tracking, webinar tools).
 * Headers: X-Leadstage-Timestamp (unix seconds) and X-Leadstage-Signature: sha256=<hex>.
 */
export function eventsRouter(ctx: IngressContext, opts: EventsRouterOptions): Router {
  const router = express.Router();
  router.post('/webhooks/events', async (req, res) => {
    ctx.metrics.received.inc({ source: 'events' });
    const ts = req.get('x-leadstage-timestamp') ?? '';
    const sig = (req.get('x-leadstage-signature') ?? '').replace(/^sha256=/, '');
    const body = rawBody(req);
    if (!/^\d{9,11}$/.test(ts)) {
      return refuse(
        ctx,
        res,
        'events',
        401,
        'bad_timestamp',
        'missing or malformed X-Leadstage-Timestamp (unix seconds)',
      );
    }
    if (Math.abs(ctx.clock() - Number(ts) * 1000) > FEED_WINDOW_MS) {
      return refuse(ctx, res, 'events', 401, 'stale_timestamp', 'stale timestamp');
    }
    const expected = Buffer.from(signFeed(opts.secret, ts, body));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse(ctx, res, 'events', 401, 'bad_signature', 'bad signature');
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(ctx, res, 'events', 400, 'malformed', 'body is not JSON');
    }
    const parsed = feedBodySchema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return refuse(
        ctx,
        res,
        'events',
        400,
        'malformed',
        `invalid event${first?.path.length ? ` at ${first.path.join('.')}` : ''}: ${first?.message ?? 'unknown shape'}`,
      );
    }
    const events = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
    // Types only a tenant's own config knows: that tenant's vocabulary, read once per tenant.
    const theirs = new Map<string, ReadonlySet<string>>();
    for (const e of events) {
      const t = opts.activityTypes.has(e.type) ? null : feedTenant(e);
      if (!t || theirs.has(tenantKey(t))) continue;
      theirs.set(tenantKey(t), (await ctx.vocabulary?.(t).catch(() => null))?.activityTypes ?? new Set());
    }
    const normalized = normalizeFeed(
      events,
      opts.activityTypes,
      (type, t) => theirs.get(tenantKey(t))?.has(type) ?? false,
    );
    if (!normalized.ok) {
      return refuse(ctx, res, 'events', 400, 'unknown_activity_type', normalized.reason);
    }
    if (await enqueueOps(ctx, res, 'events', normalized.ops, events.length))
      res.status(202).json({ accepted: events.length });
  });
  return router;
}
