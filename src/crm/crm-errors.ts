/**
 * Expected CRM failures, by what the job should do about them (BullMQ-style small named errors).
 */

/** The CRM (or our shared limiter) says wait: delay the job, do not count it as a failure. */
export class CrmRateLimitedError extends Error {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, message = `rate limited; retry in ${retryAfterMs} ms`) {
    super(message);
    this.name = 'CrmRateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** 5xx, timeouts, connection resets, row locks: retry with backoff. */
export class CrmTransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrmTransientError';
  }
}

/** The CRM rejected the request itself (4xx other than 401/429): retrying cannot help. */
export class CrmRejectedError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'CrmRejectedError';
    this.status = status;
  }
}

/** Credentials missing, expired beyond refresh, or revoked: retrying later may help after a fix. */
export class CrmAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrmAuthError';
  }
}
