import { DelayedError, type Job } from 'bullmq';
import { CrmRateLimitedError } from '../src/platform/crm-errors.ts';
import { resolveEmails, type ResolveDeps, type ResolveSummary } from './resolve-emails.ts';

/** The BullMQ shell around `resolveEmails`: rate limited → delayed; anything else → retried. */
export function resolveProcessor(deps: ResolveDeps) {
  return async (job: Job, token?: string): Promise<ResolveSummary> => {
    try {
      return await resolveEmails(deps);
    } catch (err) {
      if (err instanceof CrmRateLimitedError && token) {
        await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
        throw new DelayedError();
      }
      throw err;
    }
  };
}
