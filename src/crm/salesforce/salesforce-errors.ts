import { toCrmError, type CrmFailure } from '../../platform/crm-errors.ts';

/** What a jsforce error or a save result says, in the shared failure shape. */
export function salesforceFailure(err: unknown, what: string): CrmFailure {
  const e = err as { errorCode?: string; name?: string; message?: string; statusCode?: number };
  let code = e?.errorCode ?? e?.name ?? '';
  // jsforce wraps a failed token refresh (revoked or expired refresh token) in a plain Error.
  if (/Unable to refresh session|invalid_grant/.test(e?.message ?? '')) code = 'INVALID_SESSION_ID';
  if (code === 'Error') code = '';
  const message = `${what}: ${code ? `${code}: ` : ''}${e?.message ?? String(err)}`;
  // The org's 24-hour quota is spent: nothing to do for a while (it is a rolling window).
  return { code, message, ...(code === 'REQUEST_LIMIT_EXCEEDED' ? { retryAfterMs: 10 * 60_000 } : {}) };
}

/** A jsforce error → what the job should do. */
export function classifySalesforceError(err: unknown, what: string): Error {
  return toCrmError(salesforceFailure(err, what));
}
