import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import { CrmRateLimitedError, CrmRejectedError } from '../src/crm/crm-errors.ts';
import { tenantKey, type Tenant } from '../src/ingest/ops.ts';
import { requestRecompute, type RecomputeJobData } from './queues.ts';
import { ContactsRejectedError, recomputeTenant, type BatchSummary, type RecomputeDeps } from './recompute-tenant.ts';

export interface RecomputeProcessorDeps {
  /** The use case's dependencies for a tenant, or null when no CRM connection is configured for it. */
  depsFor: (tenant: Tenant) => RecomputeDeps | null;
  queue: Queue<RecomputeJobData>;
  pendingCount: (tenant: Tenant) => Promise<number>;
}

/**
 * The BullMQ shell around `recomputeTenant`: it translates outcomes into queue semantics and
 * nothing else. Rate limited → the job is delayed (no attempt spent); the CRM rejected contacts →
 * UnrecoverableError, so the job lands in the failed set with the CRM's message; anything else →
 * thrown, retried with exponential backoff. More pending work → one follow-up job.
 */
export function recomputeProcessor(deps: RecomputeProcessorDeps) {
  return async (job: Job<RecomputeJobData>, token?: string): Promise<BatchSummary> => {
    const tenant = job.data.tenant;
    const d = deps.depsFor(tenant);
    if (!d) throw new UnrecoverableError(`no CRM connection configured for ${tenantKey(tenant)}`);
    // A batch takes at most batchSize contacts; whatever is left gets its own job right away.
    const followUp = async (morePending?: boolean) => {
      if (morePending ?? (await deps.pendingCount(tenant).catch(() => 0)) > 0) await requestRecompute(deps.queue, tenant, 0).catch(() => undefined);
    };
    try {
      const summary = await recomputeTenant(tenant, d);
      await followUp(summary.morePending);
      return summary;
    } catch (err) {
      if (err instanceof CrmRateLimitedError && token) {
        // The whole tenant waits (its quota is shared); its pending set keeps absorbing events.
        await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
        throw new DelayedError();
      }
      await followUp();
      if (err instanceof ContactsRejectedError || err instanceof CrmRejectedError) throw new UnrecoverableError(err.message);
      throw err;
    }
  };
}
