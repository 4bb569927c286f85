import type { Response } from 'express';
import type { IngestResult } from '../../src/store/ingest.ts';
import type { IngressOp } from '../../src/platform/tenant.ts';
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
}

/**
 * Make a request's ops durable and account for them. Returns true when the caller may answer
 * 2xx; otherwise a 503 (or 500) has been sent and the CRM will retry.
 */
export async function enqueueOps(ctx: IngressContext, res: Response, source: SourceLabel, ops: IngressOp[], events: number): Promise<boolean> {
  const ignored = events - new Set(ops.map((o) => o.deliveryKey)).size;
  if (ignored > 0) ctx.metrics.ignored.inc({ source }, ignored);
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
    res.status(503).set('Retry-After', '5').json({ error: 'some events are being queued by a concurrent delivery; retry later' });
    return false;
  }
  return true;
}

/**
 * Refuse a request: count it by source and reason, log it at warn with the reason (and `detail`:
 * ids, the URL a signature was checked against — never the body, an e-mail or a name), and answer
 * with a short fixed message. Bad input is always a 4xx: the sender must not retry it forever.
 */
export function refuse(
  ctx: IngressContext, res: Response, source: SourceLabel, status: 400 | 401 | 413 | 422, reason: string, message: string,
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
