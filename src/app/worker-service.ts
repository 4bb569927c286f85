import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { recomputeProcessor } from '../../jobs/recompute-processor.ts';
import type { BatchSummary } from '../../jobs/recompute-tenant.ts';
import { resolveProcessor } from '../../jobs/resolve-processor.ts';
import type { LeadstageConfig } from '../core/model.ts';
import { systemClock, type Clock } from '../platform/clock.ts';
import type { Env } from '../platform/env.ts';
import { Keys, QUEUE } from '../platform/keys.ts';
import type { Logger } from '../platform/logger.ts';
import { Metrics } from '../platform/metrics.ts';
import {
  createQueues,
  requestRecompute,
  requestResolve,
  type Queues,
  type RecomputeJobData,
} from '../platform/queues.ts';
import { createRedis } from '../platform/redis.ts';
import type { TenantDirectory } from '../platform/tenant-directory.ts';
import { tenantKey } from '../platform/tenant.ts';
import { ActivityStore } from '../store/activity-store.ts';
import { DeadLetterStore } from '../store/dead-letters.ts';
import { ScoreLedger } from '../store/score-ledger.ts';
import { SlaStore } from '../store/sla-store.ts';
import { startMaintenance } from './maintenance-wiring.ts';
import { recordFailedForGood } from '../../jobs/failed-for-good.ts';
import { OwnerAwayStore } from '../store/owner-away-store.ts';
import { DecayStore } from '../store/decay-store.ts';
import { INGEST_SCRIPT, SETTLE_SCRIPT } from '../store/ingest-script.ts';
import { ingest } from '../store/ingest.ts';
import { WorkerStore } from '../store/worker-store.ts';
import { CRMS } from './crm-registry.ts';
import { createCrmProvider, type CrmProvider } from './crm-provider.ts';
import { startHealthServer } from './health-server.ts';
import { ingestLimits } from './ingest-limits.ts';
import type { ConfigSource } from './config-source.ts';
import { createTenants } from './tenants.ts';

export interface WorkerService {
  worker: Worker<RecomputeJobData, BatchSummary>;
  resolver: Worker;
  redis: Redis;
  queues: Queues;
  store: WorkerStore;
  deadLetters: DeadLetterStore;
  /** The health server's port, when WORKER_HEALTH_PORT is set. */
  healthPort: number | null;
  /** Graceful stop: finish in-flight jobs (or give them back to the queue) within SHUTDOWN_TIMEOUT_MS. */
  stop(): Promise<void>;
}

export interface WorkerServiceOptions {
  env: Env;
  config: LeadstageConfig;
  log: Logger;
  clock?: Clock;
  /** The reloadable config (SIGHUP, file change); without it `config` is fixed for the process. */
  configSource?: ConfigSource;
  /** Which tenants the worker serves; by default the single-account directory from the environment. */
  directory?: TenantDirectory;
  metrics?: Metrics;
  /** BullMQ lock settings (tests shorten them to exercise a worker that dies mid-job). */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Tests only: the change feeds accept a fake stream server's self-signed certificate. */
  changeFeedRejectUnauthorizedSsl?: false;
}

/** The worker process: recompute and e-mail-resolve workers on BullMQ, wired to stores and CRMs. */
export async function startWorkerService(opts: WorkerServiceOptions): Promise<WorkerService> {
  const { env, config, log } = opts;
  const clock = opts.clock ?? systemClock;
  const redis = createRedis(env.REDIS_URL, 'worker');
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  // Each BullMQ worker blocks on its own connection; two workers must not share one.
  const blocking = createRedis(env.REDIS_URL, 'worker');
  const resolverConnection = createRedis(env.REDIS_URL, 'worker');
  const maintenanceConnection = createRedis(env.REDIS_URL, 'worker');
  const blockingOnes = [blocking, resolverConnection, maintenanceConnection];
  for (const c of blockingOnes) c.on('error', () => undefined); // reported through `redis`
  const connections = [redis, ...blockingOnes];
  const keys = new Keys(env.LEADSTAGE_REDIS_PREFIX);
  const activities = new ActivityStore(redis, keys, { maxAgeDays: config.engagement.maxAgeDays });
  const store = new WorkerStore(redis, keys);
  const deadLetters = new DeadLetterStore(redis, keys);
  const decay = new DecayStore(redis, keys);
  const ledger = new ScoreLedger(redis, keys);
  const away = new OwnerAwayStore(redis, keys);
  const sla = new SlaStore(redis, keys);
  INGEST_SCRIPT.register(redis); // the resolver writes matched activities the way ingress does
  const queues = createQueues(redis, keys.prefix, (err) => log.warn({ err: err.message }, 'queue connection error'));
  const tenants = createTenants(env, opts.configSource ? () => opts.configSource!.current : config, redis, keys, log);
  const directory = opts.directory ?? tenants.directory;
  // Plans record the version of the config that made them: the tenant's own file, or the main one.
  const configVersionOf = (own: string | undefined) => {
    const v = own ?? opts.configSource?.version;
    return v ? { configVersion: v } : {};
  };
  // Short quota waits happen in-process; longer ones delay the job, freeing the worker for other tenants.
  const crms = createCrmProvider(directory, CRMS, {
    env,
    redis,
    keys,
    log,
    clock,
    maxInlineWaitMs: 2_000,
    ...(tenants.store ? { credentials: tenants.store, tenantFacts: tenants.store } : {}),
  });

  // A mapped field that does not exist is a start-up error, not a failure at the first write.
  const problems = await crms
    .checkSchemas((tenant, err) =>
      log.warn(
        { tenant: tenantKey(tenant), err: err.message },
        'could not check the CRM against the config now; going on',
      ),
    )
    .catch(async (err: Error) => {
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      throw err;
    });
  if (problems.length) {
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    throw new Error(`the CRM does not match the config:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }

  const lockDuration = opts.lockDurationMs ?? env.WORKER_LOCK_MS;
  const worker = new Worker<RecomputeJobData, BatchSummary>(
    QUEUE.recompute,
    recomputeProcessor({
      pendingCount: (t) => store.pendingCount(t),
      requestFollowUp: (t) => requestRecompute(queues.recompute, t, 0),
      depsFor: async (tenant) => {
        const served = await crms.serve(tenant);
        if (!served) return null;
        const { record, crm } = served;
        return {
          config: record.config,
          crm,
          activities,
          store,
          deadLetters,
          decay,
          ledger,
          sla,
          log,
          clock,
          batchSize: env.RECOMPUTE_BATCH_SIZE,
          ...configVersionOf(record.configVersion),
          owners: (t) => crms.owners(t, crm),
          awayOwners: () => away.away(clock.now().getTime()),
        };
      },
    }),
    {
      connection: blocking,
      prefix: keys.prefix,
      concurrency: env.WORKER_CONCURRENCY,
      lockDuration,
      stalledInterval: opts.stalledIntervalMs ?? env.WORKER_LOCK_MS,
      maxStalledCount: env.WORKER_MAX_STALLED_COUNT,
    },
  );
  const resolver = new Worker(
    QUEUE.resolve,
    resolveProcessor({
      redis,
      keys,
      store,
      queues,
      log,
      batchSize: 100,
      batchWindowMs: env.BATCH_WINDOW_MS,
      limits: ingestLimits(config),
      // E-mail-addressed feed events: looked up in every listed account of every CRM.
      crms: () => servedTenants(directory, crms),
    }),
    { connection: resolverConnection, prefix: keys.prefix, concurrency: 1, lockDuration },
  );
  const maintenance = await startMaintenance({
    env,
    log,
    clock,
    redis,
    keys,
    queues,
    crms,
    directory,
    store,
    decay,
    ledger,
    activities,
    sla,
    away,
    tenantStore: tenants.store,
    configVersionOf,
    connection: maintenanceConnection,
    lockDuration,
  });
  resolver.on('error', (err) => log.warn({ err: err.message }, 'resolver error'));
  resolver.on('failed', (job, err) =>
    log.warn({ attempts: job?.attemptsMade, err: err.message }, 'resolve job failed'),
  );
  worker.on('failed', (job, err) => {
    log.warn(
      { tenant: job ? tenantKey(job.data.tenant) : undefined, attempts: job?.attemptsMade, err: err.message },
      'recompute job failed',
    );
    if (job)
      void recordFailedForGood(deadLetters, job.data.tenant, QUEUE.recompute, job, err, clock.now()).catch(
        () => undefined,
      );
  });
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker error'));
  await worker.waitUntilReady();
  const metrics = opts.metrics ?? new Metrics({ defaultMetrics: true });
  const lastCrmOutcome = new Map<string, { ok: boolean; at: string; error?: string }>();
  worker.on('completed', (job, summary) => {
    metrics.jobs.inc({ queue: 'recompute', outcome: 'completed' });
    metrics.contactsWritten.inc({ crm: job.data.tenant.crm }, summary.written);
    if (summary.deadLettered.length)
      metrics.deadLettered.inc({ crm: job.data.tenant.crm }, summary.deadLettered.length);
    if (summary.contacts > 0)
      lastCrmOutcome.set(tenantKey(job.data.tenant), { ok: true, at: new Date().toISOString() });
  });
  worker.on('failed', (job, err) => {
    metrics.jobs.inc({ queue: 'recompute', outcome: 'failed' });
    if (job)
      lastCrmOutcome.set(tenantKey(job.data.tenant), { ok: false, at: new Date().toISOString(), error: err.name });
  });
  // CRM event streams (Salesforce CDC with SALESFORCE_CDC=on), ingested as the webhook server does.
  SETTLE_SCRIPT.register(redis);
  const feeds = CRMS.flatMap((m) => {
    const feed = crms.connector(m.kind)?.changeFeed?.({
      metrics,
      ...(opts.changeFeedRejectUnauthorizedSsl === false ? { rejectUnauthorizedSsl: false as const } : {}),
      tenants: async () =>
        (await servedTenants(directory, crms)).flatMap((t) => (t.tenant.crm === m.kind ? [t.record] : [])),
      ingest: (ops) =>
        ingest(ops, {
          redis,
          keys,
          limits: ingestLimits(config),
          batchWindowMs: env.BATCH_WINDOW_MS,
          deliveryTtlMs: 4 * 86_400_000,
          requestRecompute: (t, ms) => requestRecompute(queues.recompute, t, ms),
          requestResolve: (ms) => requestResolve(queues.resolve, ms),
        }),
    });
    return feed ? [feed] : [];
  });
  const health =
    env.WORKER_HEALTH_PORT === undefined
      ? null
      : await startHealthServer({
          port: env.WORKER_HEALTH_PORT,
          host: env.WORKER_HEALTH_HOST,
          metrics,
          metricsToken: env.METRICS_TOKEN,
          ready: {
            redis: () => redis.ping(),
            worker: async () => {
              if (!worker.isRunning()) throw new Error('not running');
            },
          },
          info: () => ({ crm: Object.fromEntries(lastCrmOutcome) }),
          beforeScrape: async () => {
            for (const [name, q] of [
              ['recompute', queues.recompute],
              ['resolve', queues.resolve],
            ] as const) {
              for (const [state, n] of Object.entries(await q.getJobCounts()))
                metrics.queueJobs.set({ queue: name, state }, n);
            }
          },
        });
  log.info(
    { concurrency: env.WORKER_CONCURRENCY, batchSize: env.RECOMPUTE_BATCH_SIZE, healthPort: health?.port },
    'recompute worker running',
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // close() waits for active jobs; past the deadline, force it: their locks lapse and BullMQ
      // hands the jobs to another worker (their batches resume from the in-flight set).
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), env.SHUTDOWN_TIMEOUT_MS)));
      await Promise.all(
        feeds.map((f) => f.stop().catch((err: Error) => log.warn({ err: err.message }, 'change feed stop failed'))),
      );
      const workers = [worker, resolver, maintenance];
      const closing = Promise.all(workers.map((w) => w.close())).then(() => 'closed' as const);
      if ((await Promise.race([closing, timedOut])) === 'timeout') await Promise.all(workers.map((w) => w.close(true)));
      clearTimeout(timer);
      await health?.close();
      await queues.close().catch(() => undefined);
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      log.info('recompute worker stopped');
    })());
  try {
    for (const feed of feeds) await feed.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { worker, resolver, redis, queues, store, deadLetters, healthPort: health?.port ?? null, stop };
}

async function servedTenants(directory: TenantDirectory, crms: CrmProvider) {
  const out = [];
  for (const record of await directory.list()) {
    const served = await crms.serve(record.tenant);
    if (served) out.push({ tenant: record.tenant, crm: served.crm, record: served.record });
  }
  return out;
}
