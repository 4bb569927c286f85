import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { CrmRateLimitedError, CrmRejectedError } from '../src/platform/crm-errors.ts';
import type { RecomputeJobData } from '../src/platform/queues.ts';
import { tenantKey, type Tenant } from '../src/platform/tenant.ts';
import { recomputeTenant, type BatchSummary, type RecomputeDeps } from './recompute-tenant.ts';

export interface RecomputeProcessorDeps {
  /** The use case's dependencies for a tenant, or null when leadstage does not serve it. */
  depsFor: (tenant: Tenant) => Promise<RecomputeDeps | null>;
  /** Ask for one more job for the tenant (more pending work, or the retry of a failed one). */
  requestFollowUp: (tenant: Tenant) => Promise<void>;
  pendingCount: (tenant: Tenant) => Promise<number>;
}

/** Some contacts hit a transient failure; they stay in flight and the job is retried with backoff. */
export class ContactsRetryError extends Error {
  readonly failures: { id: string; reason: string }[];
  constructor(failures: { id: string; reason: string }[]) {
    super(`transient CRM failure for ${failures.length} contact(s): ${failures[0]?.reason ?? ''}`);
    this.name = 'ContactsRetryError';
    this.failures = failures;
  }
}

/**
 * The BullMQ shell around `recomputeTenant`: it translates outcomes into queue semantics and
 * nothing else. Rate limited → the job is delayed (no attempt spent); transient per-record
 * failures or a failed call → thrown, retried with exponential backoff; more pending work →
 * one follow-up job. Records the CRM refused are already in the dead-letter list.
 */
export function recomputeProcessor(deps: RecomputeProcessorDeps) {
  return async (job: Job<RecomputeJobData>, token?: string): Promise<BatchSummary> => {
    const tenant = job.data.tenant;
    const d = await deps.depsFor(tenant);
    if (!d) throw new UnrecoverableError(`no CRM connection configured for ${tenantKey(tenant)}`);
    // A batch takes at most batchSize contacts; whatever is left gets its own job right away.
    const followUp = async (morePending?: boolean) => {
      if (morePending ?? (await deps.pendingCount(tenant).catch(() => 0)) > 0)
        await deps.requestFollowUp(tenant).catch(() => undefined);
    };
    let summary: BatchSummary;
    try {
      summary = await recomputeTenant(tenant, d);
    } catch (err) {
      if (err instanceof CrmRateLimitedError && token) {
        // The whole tenant waits (its quota is shared); its pending set keeps absorbing events.
        await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
        throw new DelayedError();
      }
      await followUp();
      // The CRM refused a whole call: retrying the same request cannot help.
      if (err instanceof CrmRejectedError) throw new UnrecoverableError(err.message);
      throw err;
    }
    await followUp(summary.morePending);
    if (summary.retry.length > 0) throw new ContactsRetryError(summary.retry);
    return summary;
  };
}
