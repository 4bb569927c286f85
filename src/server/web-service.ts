import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { createQueues, type Queues } from '../../jobs/queues.ts';
import type { LeadstageConfig } from '../config/schema.ts';
import { BUILT_IN_ACTIVITY_TYPES } from '../core/activity-types.ts';
import { ActivityStore } from '../ingest/activity-store.ts';
import { INGEST_SCRIPT, SETTLE_SCRIPT } from '../ingest/ingest-script.ts';
import { ingest } from '../ingest/ingest.ts';
import { Keys } from '../ingest/keys.ts';
import { createApp, type App } from './create-app.ts';
import type { Env } from './env.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { createRedis, waitForReady } from './redis.ts';

/** true if `work` settled within `ms` (its error ignored), false if it was left behind. */
async function bounded(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = work.then(() => true as const, () => true as const);
  const r = await Promise.race([settled, late]);
  clearTimeout(timer);
  return r;
}

export interface WebService {
  server: Server;
  app: App;
  redis: Redis;
  queues: Queues;
  store: ActivityStore;
  keys: Keys;
  metrics: Metrics;
  port: number;
  /** Graceful stop: refuse new webhooks, finish in-flight ones, close queues, quit Redis. */
  stop(): Promise<void>;
}

/** Properties leadstage alone writes in HubSpot: a change to one is always our own echo. */
function ownHubSpotProperties(config: LeadstageConfig): Set<string> {
  const w = config.crm.hubspot?.write;
  return new Set([w?.score, w?.fitGrade, w?.reasons, w?.scoredAt].filter((p): p is string => Boolean(p)));
}

export interface WebServiceOptions {
  env: Env;
  config: LeadstageConfig;
  log: Logger;
  clock?: () => number;
  metrics?: Metrics;
  /** How long start-up waits for Redis before serving anyway (answering 503 until it is back). */
  redisReadyWaitMs?: number;
}

export async function startWebService(opts: WebServiceOptions): Promise<WebService> {
  const { env, config, log } = opts;
  const clock = opts.clock ?? Date.now;
  const metrics = opts.metrics ?? new Metrics({ defaultMetrics: true });
  const redis = createRedis(env.REDIS_URL, 'producer');
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  if (!(await waitForReady(redis, opts.redisReadyWaitMs ?? 5_000))) log.warn('redis is not reachable yet; answering 503 until it is');
  const queues = createQueues(redis, env.LEADSTAGE_REDIS_PREFIX, (err) => log.warn({ err: err.message }, 'queue connection error'));
  const keys = new Keys(env.LEADSTAGE_REDIS_PREFIX);
  const store = new ActivityStore(redis, keys, { maxAgeDays: config.engagement.maxAgeDays });
  INGEST_SCRIPT.register(redis);
  SETTLE_SCRIPT.register(redis);
  const limits = {
    claimTtlMs: 30_000,
    maxAgeMs: config.engagement.maxAgeDays * 86_400_000,
    tombstoneMs: 30 * 86_400_000,
  };
  const activityTypes = new Set<string>([...BUILT_IN_ACTIVITY_TYPES, ...config.engagement.customActivityTypes]);

  const app = createApp({
    ctx: {
      // HubSpot retries for about a day, Salesforce for 24 h, HubSpot workflows for 3 days.
      ingest: (ops) => ingest(ops, { redis, keys, queues, batchWindowMs: env.BATCH_WINDOW_MS, limits, deliveryTtlMs: 4 * 86_400_000 }),
      metrics,
      log,
      clock,
      publicBaseUrl: env.PUBLIC_BASE_URL,
      enqueueDeadlineMs: 1_800,
    },
    redis,
    queues,
    metrics,
    log,
    maxBodyBytes: env.MAX_BODY_BYTES,
    ...(env.LEADSTAGE_SOURCES.includes('hubspot')
      ? { hubspot: { clientSecret: env.HUBSPOT_CLIENT_SECRET!, activityTypes, ownProperties: ownHubSpotProperties(config), ...(env.HUBSPOT_APP_ID ? { appId: env.HUBSPOT_APP_ID } : {}) } }
      : {}),
    ...(env.LEADSTAGE_SOURCES.includes('salesforce')
      ? { salesforce: { token: env.SALESFORCE_WEBHOOK_TOKEN!, orgIds: env.salesforceOrgIds, ...(env.SALESFORCE_INTEGRATION_USER_ID ? { integrationUserId: env.SALESFORCE_INTEGRATION_USER_ID } : {}) } }
      : {}),
    ...(env.LEADSTAGE_SOURCES.includes('events') ? { events: { secret: env.EVENTS_SIGNING_SECRET!, activityTypes } } : {}),
  });

  const server = createServer(app.express);
  // Shorter than a load balancer's idle timeout would be wrong; longer keeps sockets we then drain.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  server.listen(env.PORT);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  log.info({ port, sources: env.LEADSTAGE_SOURCES }, 'webhook server listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      app.drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets turn idle as their last response goes out; close each as it does.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), env.SHUTDOWN_TIMEOUT_MS);
      await closed;
      clearInterval(sweep);
      clearTimeout(timer);
      // Bounded: with Redis gone, a polite close could wait forever.
      await bounded(queues.close(), 2_000);
      if (!(await bounded(redis.quit(), 1_000))) redis.disconnect();
      log.info('webhook server stopped');
    })());

  return { server, app, redis, queues, store, keys, metrics, port, stop };
}
