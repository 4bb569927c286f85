import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createQueues, RECOMPUTE_QUEUE, RESOLVE_QUEUE, type Queues, type RecomputeJobData } from '../../jobs/queues.ts';
import { resolveProcessor } from '../../jobs/resolve-processor.ts';
import { recomputeProcessor } from '../../jobs/recompute-processor.ts';
import type { BatchSummary, RecomputeDeps } from '../../jobs/recompute-tenant.ts';
import type { LeadstageConfig } from '../config/schema.ts';
import type { CrmOwner, CrmPort } from '../crm/crm-port.ts';
import { HubSpotAdapter } from '../crm/hubspot/hubspot-adapter.ts';
import { SalesforceAdapter } from '../crm/salesforce/salesforce-adapter.ts';
import { salesforceConnections } from '../crm/salesforce/salesforce-connection.ts';
import { TenantRateLimiter } from '../crm/rate-limiter.ts';
import { ActivityStore } from '../ingest/activity-store.ts';
import { INGEST_SCRIPT } from '../ingest/ingest-script.ts';
import { Keys } from '../ingest/keys.ts';
import { tenantKey, type Tenant } from '../ingest/ops.ts';
import { WorkerStore } from '../worker/worker-store.ts';
import type { Env } from './env.ts';
import type { Logger } from './logger.ts';
import { createRedis } from './redis.ts';

export interface WorkerService {
  worker: Worker<RecomputeJobData, BatchSummary>;
  resolver: Worker;
  redis: Redis;
  queues: Queues;
  store: WorkerStore;
  /** Graceful stop: finish in-flight jobs (or give them back to the queue) within SHUTDOWN_TIMEOUT_MS. */
  stop(): Promise<void>;
}

export interface WorkerServiceOptions {
  env: Env;
  config: LeadstageConfig;
  log: Logger;
  clock?: () => Date;
  /** A CRM port per tenant; by default built from the environment (HubSpot access token). */
  crmFor?: (tenant: Tenant) => CrmPort | null;
  /** BullMQ lock settings (tests shorten them to exercise a worker that dies mid-job). */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

const OWNERS_TTL_MS = 5 * 60_000;

export async function startWorkerService(opts: WorkerServiceOptions): Promise<WorkerService> {
  const { env, config, log } = opts;
  const redis = createRedis(env.REDIS_URL, 'worker');
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const blocking = createRedis(env.REDIS_URL, 'worker');
  blocking.on('error', () => undefined); // reported through `redis` already
  const prefix = env.LEADSTAGE_REDIS_PREFIX;
  const keys = new Keys(prefix);
  const activities = new ActivityStore(redis, keys, { maxAgeDays: config.engagement.maxAgeDays });
  const store = new WorkerStore(redis, prefix);
  INGEST_SCRIPT.register(redis); // the resolver writes matched activities the way ingress does
  const queues = createQueues(redis, prefix, (err) => log.warn({ err: err.message }, 'queue connection error'));
  // Short waits happen in-process; longer ones delay the job, freeing the worker for other tenants.
  const limiter = new TenantRateLimiter(redis, prefix, { max: env.HUBSPOT_REQUESTS_PER_WINDOW, windowMs: env.HUBSPOT_WINDOW_MS, maxInlineWaitMs: 2_000 });

  const sfLimiter = new TenantRateLimiter(redis, prefix, { max: env.SALESFORCE_REQUESTS_PER_WINDOW, windowMs: env.SALESFORCE_WINDOW_MS, maxInlineWaitMs: 2_000 });
  const sfConnection = env.SALESFORCE_INSTANCE_URL && env.SALESFORCE_ACCESS_TOKEN ? salesforceConnections(env, redis, prefix, log) : null;
  const crmFor =
    opts.crmFor ??
    ((tenant: Tenant): CrmPort | null => {
      if (tenant.crm === 'hubspot' && env.HUBSPOT_ACCESS_TOKEN && config.crm.hubspot) {
        const token = env.HUBSPOT_ACCESS_TOKEN;
        return new HubSpotAdapter({
          config, limiter, accessToken: async () => token, retries: env.HUBSPOT_SDK_RETRIES, timeoutMs: env.CRM_TIMEOUT_MS,
          ...(env.HUBSPOT_API_BASE_URL ? { basePath: env.HUBSPOT_API_BASE_URL } : {}),
        });
      }
      if (tenant.crm === 'salesforce' && sfConnection && config.crm.salesforce) {
        return new SalesforceAdapter({ config, limiter: sfLimiter, connection: sfConnection, timeoutMs: env.CRM_TIMEOUT_MS });
      }
      return null;
    });

  // A mapped Salesforce field that does not exist is a start-up error, not a failure at the first write.
  if (sfConnection && config.crm.salesforce && !opts.crmFor) {
    const problems = await new SalesforceAdapter({ config, limiter: sfLimiter, connection: sfConnection }).validateSchema({ crm: 'salesforce', id: 'startup' });
    if (problems.length) {
      await Promise.all([redis.quit(), blocking.quit()]).catch(() => undefined);
      throw new Error(`the Salesforce org does not match config crm.salesforce:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    }
  }

  // Owners change rarely: one listing per tenant every five minutes, not per batch.
  const ownerCache = new Map<string, { at: number; owners: Promise<CrmOwner[]> }>();
  const ownersVia = (crm: CrmPort) => (tenant: Tenant) => {
    const k = tenantKey(tenant);
    const hit = ownerCache.get(k);
    if (hit && Date.now() - hit.at < OWNERS_TTL_MS) return hit.owners;
    const owners = crm.listOwners(tenant);
    ownerCache.set(k, { at: Date.now(), owners });
    owners.catch(() => ownerCache.delete(k));
    return owners;
  };

  const processor = recomputeProcessor({
    queue: queues.recompute,
    pendingCount: (t) => store.pendingCount(t),
    depsFor: (tenant): RecomputeDeps | null => {
      const crm = crmFor(tenant); // one adapter per job, so its call count is this batch's
      if (!crm) return null;
      return { config, crm, activities, store, log, batchSize: env.RECOMPUTE_BATCH_SIZE, clock: opts.clock ?? (() => new Date()), owners: ownersVia(crm) };
    },
  });
  const worker = new Worker<RecomputeJobData, BatchSummary>(RECOMPUTE_QUEUE, processor, {
    connection: blocking,
    prefix,
    concurrency: env.WORKER_CONCURRENCY,
    lockDuration: opts.lockDurationMs ?? env.WORKER_LOCK_MS,
    stalledInterval: opts.stalledIntervalMs ?? env.WORKER_LOCK_MS,
  });
  // E-mail-addressed feed events: looked up in every connected account that has a known id.
  // Each BullMQ worker blocks on its own connection; two workers must not share one.
  const resolverConnection = createRedis(env.REDIS_URL, 'worker');
  resolverConnection.on('error', () => undefined);
  const resolveTenants: Tenant[] = [
    ...(env.HUBSPOT_PORTAL_ID ? [{ crm: 'hubspot' as const, id: env.HUBSPOT_PORTAL_ID }] : []),
    ...(env.salesforceOrgIds[0] ? [{ crm: 'salesforce' as const, id: env.salesforceOrgIds[0] }] : []),
  ];
  const resolver = new Worker(
    RESOLVE_QUEUE,
    resolveProcessor({
      redis, keys, store, queues, log, batchSize: 100, batchWindowMs: env.BATCH_WINDOW_MS,
      limits: { claimTtlMs: 30_000, maxAgeMs: config.engagement.maxAgeDays * 86_400_000, tombstoneMs: 30 * 86_400_000 },
      get crms() {
        return resolveTenants.flatMap((tenant) => {
          const crm = crmFor(tenant);
          return crm ? [{ tenant, crm }] : [];
        });
      },
    }),
    { connection: resolverConnection, prefix, concurrency: 1, lockDuration: opts.lockDurationMs ?? env.WORKER_LOCK_MS },
  );
  resolver.on('error', (err) => log.warn({ err: err.message }, 'resolver error'));
  resolver.on('failed', (job, err) => log.warn({ attempts: job?.attemptsMade, err: err.message }, 'resolve job failed'));
  worker.on('failed', (job, err) => log.warn({ tenant: job ? tenantKey(job.data.tenant) : undefined, attempts: job?.attemptsMade, err: err.message }, 'recompute job failed'));
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker error'));
  await worker.waitUntilReady();
  log.info({ concurrency: env.WORKER_CONCURRENCY, batchSize: env.RECOMPUTE_BATCH_SIZE }, 'recompute worker running');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // close() waits for active jobs; past the deadline, force it: their locks lapse and BullMQ
      // hands the jobs to another worker (their batches resume from the in-flight set).
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), env.SHUTDOWN_TIMEOUT_MS)));
      const closing = Promise.all([worker.close(), resolver.close()]).then(() => 'closed' as const);
      if ((await Promise.race([closing, timedOut])) === 'timeout') await Promise.all([worker.close(true), resolver.close(true)]);
      clearTimeout(timer);
      await queues.close().catch(() => undefined);
      await Promise.all([redis, blocking, resolverConnection].map((c) => c.quit().catch(() => c.disconnect())));
      log.info('recompute worker stopped');
    })());
  return { worker, resolver, redis, queues, store, stop };
}
