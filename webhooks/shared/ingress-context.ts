import type { Response } from 'express';
import type { IngestResult } from '../../src/store/ingest.ts';
import { tenantKey, type IngressOp, type Tenant } from '../../src/platform/tenant.ts';
import type { Logger } from '../../src/platform/logger.ts';
import type { Metrics, SourceLabel } from '../../src/platform/metrics.ts';
import { answerEnqueueFailure, reject, withDeadline } from './http.ts';
import { invalidOps } from './validate-ops.ts';

/** What the routers need; built once by the app. */
export interface IngressContext {
  ingest: (ops: readonly IngressOp[]) => Promise<IngestResult>;
  metrics: Metrics;
  log: Logger;
  clock: () => number;
  publicBaseUrl: string;
  /** Answer 503 rather than wait longer than this for Redis (HubSpot gives up after 5 s). */
  enqueueDeadlineMs: number;
  /**
   * Whether leadstage serves this tenant now (installed and active). Events of other tenants are
   * answered 2xx — so the CRM does not retry forever — and dropped, counted and logged. Absent:
   * every tenant is served (single-account mode without a directory).
   */
  isServed?: (tenant: Tenant) => Promise<boolean>;
  /**
   * A tenant's own activity types and written properties, from its own config (absent, or null for
   * a tenant: the default config's sets, which routers hold). Lets a tenant config add activity
   * types or rename leadstage's properties without touching the default.
   */
  vocabulary?: (tenant: Tenant) => Promise<TenantVocabulary | null>;
}

/** A tenant's vocabulary as ingress sees it (src/app/tenant-vocabulary.ts builds it). */
export interface TenantVocabulary {
  activityTypes: ReadonlySet<string>;
  ownProperties: (source: string) => ReadonlySet<string>;
}

/** Whether `type` is an activity type of this tenant: the default config's, or its own config's. */
export async function knownActivityType(
  ctx: IngressContext,
  defaults: ReadonlySet<string>,
  tenant: Tenant,
  type: string,
): Promise<boolean> {
  if (defaults.has(type)) return true;
  return (await ctx.vocabulary?.(tenant).catch(() => null))?.activityTypes.has(type) ?? false;
}

const notServedLoggedAt = new Map<string, number>();

/**
 * Make a request's ops durable and account for them. Returns true when the caller may answer
 * 2xx; otherwise a 503 (or 500) has been sent and the CRM will retry.
 */
export async function enqueueOps(
  ctx: IngressContext,
  res: Response,
  source: SourceLabel,
  opsIn: IngressOp[],
  events: number,
): Promise<boolean> {
  let ops = opsIn;
  const ignored = events - new Set(ops.map((o) => o.deliveryKey)).size;
  if (ignored > 0) ctx.metrics.ignored.inc({ source }, ignored);
  if (ctx.isServed && ops.length > 0) ops = await servedOnly(ctx, source, ops);
  if (ops.length === 0) return true;
  const invalid = invalidOps(ops);
  if (invalid) {
    refuse(ctx, res, source, 400, 'malformed', invalid);
    return false;
  }
  const stop = ctx.metrics.enqueueSeconds.startTimer({ source });
  let result: IngestResult;
  try {
    result = await withDeadline(ctx.ingest(ops), ctx.enqueueDeadlineMs);
  } catch (err) {
    const kind = answerEnqueueFailure(res, err, ctx.log, source);
    ctx.metrics.rejected.inc({ source, reason: kind === 'unavailable' ? 'queue_unavailable' : 'internal_error' });
    return false;
  } finally {
    stop();
  }
  ctx.metrics.accepted.inc({ source }, result.accepted);
  if (result.duplicates) ctx.metrics.duplicates.inc({ source }, result.duplicates);
  if (result.busy > 0) {
    // Another request is queueing the same delivery right now; if it fails, only a retry saves it.
    ctx.metrics.rejected.inc({ source, reason: 'delivery_in_flight' });
    res
      .status(503)
      .set('Retry-After', '5')
      .json({ error: 'some events are being queued by a concurrent delivery; retry later' });
    return false;
  }
  return true;
}

/** Drop the ops of tenants leadstage does not serve (paused, uninstalled, unknown); log once a minute each. */
async function servedOnly(ctx: IngressContext, source: SourceLabel, ops: IngressOp[]): Promise<IngressOp[]> {
  const verdicts = new Map<string, boolean>();
  for (const op of ops) {
    const t = tenantOfOp(op);
    if (t && !verdicts.has(tenantKey(t))) verdicts.set(tenantKey(t), await ctx.isServed!(t));
  }
  const kept = ops.filter((op) => {
    const t = tenantOfOp(op);
    return !t || verdicts.get(tenantKey(t));
  });
  if (kept.length < ops.length) {
    ctx.metrics.ignored.inc({ source }, ops.length - kept.length);
    const now = ctx.clock();
    for (const [key, ok] of verdicts) {
      if (ok || now - (notServedLoggedAt.get(key) ?? 0) < 60_000) continue;
      notServedLoggedAt.set(key, now);
      ctx.metrics.rejected.inc({ source, reason: 'tenant_not_active' });
      ctx.log.warn(
        { source, tenant: key },
        'events for a tenant that is not installed or not active: acknowledged, not queued',
      );
    }
  }
  return kept;
}

function tenantOfOp(op: IngressOp): Tenant | null {
  if (op.kind === 'unresolved') return null;
  return 'contact' in op ? op.contact.tenant : op.tenant;
}

/**
 * Refuse a request: count it by source and reason, log it at warn with the reason (and `detail`:
 * ids, the URL a signature was checked against — never the body, an e-mail or a name), and answer
 * with a short fixed message. Bad input is always a 4xx: the sender must not retry it forever.
 */
export function refuse(
  ctx: IngressContext,
  res: Response,
  source: SourceLabel,
  status: 400 | 401 | 413 | 422,
  reason: string,
  message: string,
  detail: Record<string, string | number> = {},
): void {
  ctx.metrics.rejected.inc({ source, reason });
  ctx.log.warn({ source, status, reason, ...detail }, 'webhook rejected');
  reject(res, status, message);
}

/** The URL the sender signed: our public origin plus the path and query exactly as received. */
export function publicUrl(ctx: IngressContext, originalUrl: string): string {
  return ctx.publicBaseUrl + originalUrl;
}
