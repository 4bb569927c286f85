import type { Tenant } from '../src/platform/tenant.ts';
import type { DeadLetterSink } from './recompute-ports.ts';

/** What BullMQ tells of a failed job: how often it ran and how often it may. */
export interface FailedJob {
  attemptsMade: number;
  opts: { attempts?: number };
}

/**
 * A job that failed for good (its last attempt spent) goes to its tenant's dead letters, one entry
 * per queue (the latest reason, first and last seen, how often), so an operator sees it in
 * `leadstage dead-letter list`. Its contacts are not lost: they stay pending or in flight, and the
 * stranded sweeper (or `dead-letter retry`) queues the tenant again. Returns whether it recorded one.
 */
export async function recordFailedForGood(
  sink: DeadLetterSink,
  tenant: Tenant,
  queue: string,
  job: FailedJob,
  err: Error,
  now: Date,
): Promise<boolean> {
  if (job.attemptsMade < (job.opts.attempts ?? 1)) return false;
  // The error's name and message only: CRM errors carry the CRM's code and message, never a body.
  const reason = `${err.name}: ${err.message}`.slice(0, 500);
  await sink.add(tenant, [{ kind: 'job', objectType: queue, id: 'job', reason }], now);
  return true;
}
