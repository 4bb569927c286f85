import { DateTime, IANAZone } from 'luxon';
import { toCrmError } from '../../platform/crm-errors.ts';

interface ApiErrorLike {
  code?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

function bodyMessage(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  if (typeof body === 'string') {
    try {
      return bodyMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 300);
    }
  }
  return 'no message';
}

function policyName(body: unknown): string | undefined {
  const parsed =
    typeof body === 'string'
      ? (() => {
          try {
            return JSON.parse(body);
          } catch {
            return undefined;
          }
        })()
      : body;
  return parsed && typeof parsed === 'object' && 'policyName' in parsed
    ? String((parsed as { policyName: unknown }).policyName)
    : undefined;
}

/**
 * An SDK error → what the job should do, through the shared classification. 429: wait
 * (Retry-After, else one second for the rolling window, or until tomorrow for the daily cap).
 */
export function classifyHubSpotError(err: unknown, what: string, timezone?: string): Error {
  const e = err as ApiErrorLike;
  const status = typeof e?.code === 'number' ? e.code : undefined;
  if (status === undefined) return toCrmError({ message: `${what}: ${(err as Error)?.message ?? String(err)}` });
  const headers = Object.fromEntries(Object.entries(e.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  if (status === 429) {
    const retryAfter = Number(headers['retry-after']);
    const daily = policyName(e.body) === 'DAILY';
    // Without Retry-After, a rolling window frees its oldest slot soon: wait a second, not a whole
    // interval (our own limiter paces the calls after that).
    const ms =
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : daily ? msUntilMidnight(timezone) : 1_000;
    const message = `${what}: HubSpot rate limit (${policyName(e.body) ?? 'no policy'}); retry in ${ms} ms`;
    return toCrmError({ status, message, retryAfterMs: ms });
  }
  const message =
    status === 401
      ? `${what}: HubSpot refused the access token (401)`
      : `${what}: HubSpot ${status}: ${bodyMessage(e.body)}`;
  return toCrmError({ status, code: bodyCategory(e.body), message });
}

function bodyCategory(body: unknown): string | undefined {
  const parsed =
    typeof body === 'string'
      ? (() => {
          try {
            return JSON.parse(body);
          } catch {
            return undefined;
          }
        })()
      : body;
  return parsed && typeof parsed === 'object' && 'category' in parsed
    ? String((parsed as { category: unknown }).category)
    : undefined;
}

/** Is this a 429 for the daily cap (policyName DAILY)? */
export function isDailyLimit(err: unknown): boolean {
  const e = err as ApiErrorLike;
  return e?.code === 429 && policyName(e.body) === 'DAILY';
}

/** HubSpot's daily cap resets at midnight in the account's time zone (UTC when unknown). */
export function msUntilMidnight(timezone: string | undefined, now: DateTime = DateTime.now()): number {
  const local = now.setZone(timezone && IANAZone.isValidZone(timezone) ? timezone : 'UTC');
  return Math.max(1_000, local.plus({ days: 1 }).startOf('day').toMillis() - now.toMillis());
}
