import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { IngressContext } from '../../webhooks/shared/ingress-context.ts';
import { BUILT_IN_ACTIVITY_TYPES } from '../core/activity-types.ts';
import type { LeadstageConfig } from '../core/model.ts';
import type { Env } from '../platform/env.ts';
import { Keys } from '../platform/keys.ts';
import type { Logger } from '../platform/logger.ts';
import { Metrics } from '../platform/metrics.ts';
import { createQueues, requestRecompute, requestResolve, type Queues } from '../platform/queues.ts';
import { createRedis, waitForReady } from '../platform/redis.ts';
import { ActivityStore } from '../store/activity-store.ts';
import { INGEST_SCRIPT, SETTLE_SCRIPT } from '../store/ingest-script.ts';
import { ingest } from '../store/ingest.ts';
import { createApp, type App } from './create-app.ts';
import { crmModule } from './crm-registry.ts';
import { ingestLimits } from './ingest-limits.ts';
import { WEBHOOKS } from './webhook-registry.ts';
import type { ConfigSource } from './config-source.ts';
import { tenantVocabulary } from './tenant-vocabulary.ts';
import { adminRouter } from './admin-routes.ts';
import { CRMS } from './crm-registry.ts';
import { createCrmProvider } from './crm-provider.ts';
import { oauthRouter } from './oauth-routes.ts';
import { createTenants, stateSecret } from './tenants.ts';
import { systemClock } from '../platform/clock.ts';
import { OAuthStates } from '../store/oauth-states.ts';

/** true if `work` settled within `ms` (its error ignored), false if it was left behind. */
async function bounded(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = work.then(
    () => true as const,
    () => true as const,
  );
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

export interface WebServiceOptions {
  env: Env;
  config: LeadstageConfig;
  log: Logger;
  clock?: () => number;
  metrics?: Metrics;
  /** How long start-up waits for Redis before serving anyway (answering 503 until it is back). */
  redisReadyWaitMs?: number;
  /** The reloadable config: a reload updates the activity types and own properties ingress uses. */
  configSource?: ConfigSource;
}

export async function startWebService(opts: WebServiceOptions): Promise<WebService> {
  const { env, config, log } = opts;
  const clock = opts.clock ?? Date.now;
  const metrics = opts.metrics ?? new Metrics({ defaultMetrics: true });
  const redis = createRedis(env.REDIS_URL, 'producer');
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  if (!(await waitForReady(redis, opts.redisReadyWaitMs ?? 5_000)))
    log.warn('redis is not reachable yet; answering 503 until it is');
  const queues = createQueues(redis, env.LEADSTAGE_REDIS_PREFIX, (err) =>
    log.warn({ err: err.message }, 'queue connection error'),
  );
  const keys = new Keys(env.LEADSTAGE_REDIS_PREFIX);
  const store = new ActivityStore(redis, keys, { maxAgeDays: config.engagement.maxAgeDays });
  INGEST_SCRIPT.register(redis);
  SETTLE_SCRIPT.register(redis);
  const limits = ingestLimits(config);
  const tenants = createTenants(env, opts.configSource ? () => opts.configSource!.current : config, redis, keys, log);
  // Live sets: a config reload refreshes them in place for the routers that hold them.
  const activityTypes = new Set<string>();
  const ownBySource = new Map<string, Set<string>>(WEBHOOKS.map((w) => [w.source, new Set<string>()]));
  const refresh = (c: LeadstageConfig) => {
    activityTypes.clear();
    for (const t of [...BUILT_IN_ACTIVITY_TYPES, ...c.engagement.customActivityTypes]) activityTypes.add(t);
    for (const [source, set] of ownBySource) {
      set.clear();
      for (const p of crmModule(source)?.ownProperties?.(c) ?? []) set.add(p);
    }
  };
  refresh(config);
  opts.configSource?.onChange(refresh);
  const ctx: IngressContext = {
    // HubSpot retries for about a day, Salesforce for 24 h, HubSpot workflows for 3 days.
    ingest: (ops) =>
      ingest(ops, {
        redis,
        keys,
        limits,
        batchWindowMs: env.BATCH_WINDOW_MS,
        deliveryTtlMs: 4 * 86_400_000,
        requestRecompute: (t, ms) => requestRecompute(queues.recompute, t, ms),
        requestResolve: (ms) => requestResolve(queues.resolve, ms),
      }),
    metrics,
    log,
    clock,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    enqueueDeadlineMs: 1_800,
    ...(tenants.isServed ? { isServed: tenants.isServed } : {}),
    // Installed tenants may have their own config: their activity types and written properties.
    ...(tenants.store
      ? {
          vocabulary: tenantVocabulary({
            directory: tenants.directory,
            ownPropertiesOf: (source, c) => crmModule(source)?.ownProperties?.(c) ?? [],
          }),
        }
      : {}),
  };
  const routers = WEBHOOKS.filter((w) => env.LEADSTAGE_SOURCES.includes(w.source as never)).map((w) =>
    w.router(ctx, {
      env,
      config,
      activityTypes,
      ownProperties: ownBySource.get(w.source)!,
      isKnownTenant: tenants.isKnown,
    }),
  );
  const secret = stateSecret(env);
  if (tenants.store && secret) {
    // The connected app's install routes, and the admin routes behind ADMIN_TOKEN.
    const crms = createCrmProvider(tenants.directory, CRMS, {
      env,
      redis,
      keys,
      log,
      clock: systemClock,
      maxInlineWaitMs: 2_000,
      credentials: tenants.store,
    });
    routers.unshift(
      oauthRouter({
        crms: CRMS,
        env,
        publicBaseUrl: env.PUBLIC_BASE_URL,
        states: new OAuthStates(redis, keys, secret),
        tenants: tenants.store,
        connector: (k) => crms.connector(k),
        configFor: tenants.configFor,
        log,
        linkSecret: secret,
        ...(env.TENANT_CONFIG_DIR ? { configDir: env.TENANT_CONFIG_DIR } : {}),
      }),
    );
  }
  if (env.ADMIN_TOKEN)
    routers.unshift(
      adminRouter({
        token: env.ADMIN_TOKEN,
        tenants: tenants.store,
        directory: tenants.directory,
        queues,
        ...(env.TENANT_CONFIG_DIR ? { configDir: env.TENANT_CONFIG_DIR } : {}),
      }),
    );
  const app = createApp({
    routers,
    redis,
    queues,
    metrics,
    log,
    maxBodyBytes: env.MAX_BODY_BYTES,
    metricsToken: env.METRICS_TOKEN,
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
