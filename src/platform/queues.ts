import { Queue, type ConnectionOptions } from 'bullmq';
import { QUEUE } from './keys.ts';
import { tenantKey, type Tenant } from './tenant.ts';

/** Job data of a recompute: which tenant's pending set to drain. Contact ids live in Redis. */
export interface RecomputeJobData {
  tenant: Tenant;
}

export interface Queues {
  recompute: Queue<RecomputeJobData>;
  resolve: Queue<Record<string, never>>;
  /** Time-driven jobs (sweeps), added by job schedulers only. */
  maintenance: Queue;
  close(): Promise<void>;
}

export function createQueues(
  connection: ConnectionOptions,
  prefix: string,
  onError: (err: Error) => void = () => undefined,
): Queues {
  const defaultJobOptions = {
    attempts: 12,
    // Jitter spreads retries of jobs that failed together (row locks, a CRM outage) apart.
    backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
    removeOnComplete: { count: 1_000 },
    removeOnFail: { count: 10_000 },
  };
  const recompute = new Queue<RecomputeJobData>(QUEUE.recompute, { connection, prefix, defaultJobOptions });
  const resolve = new Queue<Record<string, never>>(QUEUE.resolve, { connection, prefix, defaultJobOptions });
  const maintenance = new Queue(QUEUE.maintenance, {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1_000 } },
  });
  // A queue emits 'error' when Redis drops; unhandled, that would crash the process.
  for (const q of [recompute, resolve, maintenance]) q.on('error', onError);
  return {
    recompute,
    resolve,
    maintenance,
    async close() {
      await Promise.all([recompute.close(), resolve.close(), maintenance.close()]);
    },
  };
}

/**
 * Ask for a recompute of a tenant's pending contacts. One job per tenant: while one waits, more
 * requests are absorbed (its pending set simply grows); while one runs, keepLastIfActive queues
 * exactly one follow-up. So a burst of events costs one batch, and no two workers ever recompute
 * the same tenant's contacts at once. `windowMs` lets a burst gather before the batch starts.
 */
export async function requestRecompute(
  queue: Queue<RecomputeJobData>,
  tenant: Tenant,
  windowMs: number,
): Promise<void> {
  await queue.add(
    'recompute-tenant',
    { tenant },
    { deduplication: { id: `recompute:${tenantKey(tenant)}`, keepLastIfActive: true }, delay: windowMs },
  );
}

/** Ask for e-mail-addressed events to be resolved to CRM contacts. */
export async function requestResolve(queue: Queue<Record<string, never>>, windowMs: number): Promise<void> {
  await queue.add(
    'resolve-emails',
    {},
    { deduplication: { id: 'resolve-emails', keepLastIfActive: true }, delay: windowMs },
  );
}
