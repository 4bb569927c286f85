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

/**
 * One classification of CRM failures for every adapter, so "retryable" means the same thing for
 * HubSpot and Salesforce. An adapter extracts what its CRM says (HTTP status, error code or
 * category, Retry-After) and asks here; per-record results and whole-call errors use the same table.
 */
export interface CrmFailure {
  /** HTTP status of the call, when there was a response. */
  status?: number | undefined;
  /** The CRM's error code or category: UNABLE_TO_LOCK_ROW, VALIDATION_ERROR, RATE_LIMITS, … */
  code?: string | undefined;
  message: string;
  /** How long the CRM asked us to wait, when it said. */
  retryAfterMs?: number | undefined;
}

export type FailureKind = 'rate_limited' | 'auth' | 'transient' | 'rejected';

/** Codes meaning "you are over a limit": the tenant waits, no attempt is spent. */
const RATE_LIMIT_CODES = new Set(['RATE_LIMITS', 'REQUEST_LIMIT_EXCEEDED', 'TOO_MANY_REQUESTS']);
/** Codes meaning the credentials are bad or expired beyond refresh. */
const AUTH_CODES = new Set([
  'INVALID_SESSION_ID',
  'INVALID_AUTHENTICATION',
  'EXPIRED_AUTHENTICATION',
  'ERROR_HTTP_401',
]);
/** Codes meaning "try again": locks, outages, time-outs. */
const TRANSIENT_CODES = new Set([
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
  'TIMEOUT',
  'DeadlineExceeded',
]);
const NETWORK = /ECONNRE|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up|fetch failed|network/i;

export function classifyFailure(f: CrmFailure): FailureKind {
  const code = f.code ?? '';
  if (f.status === 429 || RATE_LIMIT_CODES.has(code)) return 'rate_limited';
  if (f.status === 401 || AUTH_CODES.has(code)) return 'auth';
  if (TRANSIENT_CODES.has(code) || /^ERROR_HTTP_5\d\d$/.test(code)) return 'transient';
  if (f.status !== undefined && (f.status >= 500 || f.status === 408)) return 'transient';
  if (f.status !== undefined && f.status >= 400) return 'rejected';
  if (/^ERROR_HTTP_4\d\d$/.test(code) || /^[A-Z][A-Z_]+$/.test(code)) return 'rejected';
  // No status and no code we know: a network failure or something we cannot judge; retrying is safe.
  return NETWORK.test(f.message) || code === '' ? 'transient' : 'rejected';
}

/** Is a per-record failure worth retrying? (Rate limits and transient faults are.) */
export function isRetryable(f: CrmFailure): boolean {
  const kind = classifyFailure(f);
  return kind === 'rate_limited' || kind === 'transient';
}

/** The whole-call error for a failure: what the job does about it. */
export function toCrmError(f: CrmFailure, defaultWaitMs = 1_000): Error {
  switch (classifyFailure(f)) {
    case 'rate_limited':
      return new CrmRateLimitedError(f.retryAfterMs ?? defaultWaitMs, f.message);
    case 'auth':
      return new CrmAuthError(f.message);
    case 'transient':
      return new CrmTransientError(f.message);
    case 'rejected':
      return new CrmRejectedError(f.status ?? 400, f.message);
  }
}
