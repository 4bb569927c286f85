import type { Request, Response } from 'express';
import { isRedisUnavailable } from '../../src/platform/redis.ts';
import type { Logger } from '../../src/platform/logger.ts';
import { DeadlineExceeded } from '../../src/platform/deadline.ts';

export { DeadlineExceeded, withDeadline } from '../../src/platform/deadline.ts';

/** The raw body express.raw() left on the request (an empty buffer when there was none). */
export function rawBody(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/** A short, fixed reason: we never echo the payload back. */
export function reject(res: Response, status: 400 | 401 | 413 | 422, reason: string): void {
  res.status(status).json({ error: reason });
}

/**
 * Answer a failed enqueue. Redis down or slow → 503 with Retry-After, so the CRM retries later.
 * Anything else is a bug: 500, logged with the error but never the payload.
 */
export function answerEnqueueFailure(
  res: Response,
  err: unknown,
  log: Logger,
  source: string,
): 'unavailable' | 'error' {
  if (err instanceof DeadlineExceeded || isRedisUnavailable(err)) {
    log.warn({ source, err: (err as Error).message }, 'queue unavailable; asked the sender to retry');
    res.status(503).set('Retry-After', '10').json({ error: 'queue unavailable, retry later' });
    return 'unavailable';
  }
  log.error({ source, err }, 'enqueue failed');
  res.status(500).json({ error: 'internal error' });
  return 'error';
}
