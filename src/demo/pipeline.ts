import { deleteByPrefix } from '../platform/redis.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { loadConfigFile } from '../config/load-config.ts';
import type { LeadstageConfig } from '../core/model.ts';
import { SANDBOX_SECRETS, SandboxCrm, type FaultOptions } from '../sandbox/sandbox-crm.ts';
import { loadSeed, readSeed } from '../sandbox/seed.ts';
import { parseEnv, type Env } from '../platform/env.ts';
import type { Clock } from '../platform/clock.ts';
import { Keys } from '../platform/keys.ts';
import { createLogger } from '../platform/logger.ts';
import { startWebService, type WebService } from '../app/web-service.ts';
import { startWorkerService, type WorkerService } from '../app/worker-service.ts';
import { connectedAppEnv } from './install-tenants.ts';
import { waitFor } from './wait-for.ts';

/** The secrets the sandbox and leadstage share in a local run (never used anywhere real). */
export const LOCAL = {
  hubspotSecret: 'sandbox-hubspot-client-secret',
  eventsSecret: SANDBOX_SECRETS.eventsSigningSecret,
  salesforceToken: SANDBOX_SECRETS.salesforceWebhookToken,
  portalId: '62515',
  orgId: '00D5g000004SxyzEAC',
};

export interface Pipeline {
  sandbox: SandboxCrm;
  web: WebService;
  worker: WorkerService;
  env: Env;
  config: LeadstageConfig;
  /** leadstage's base URL (the sandbox sends webhooks here). */
  url: string;
  /** Resolves once every webhook is delivered and no work is pending, queued or running. */
  drained(timeoutMs?: number): Promise<void>;
  /** Resolves once every event known by e-mail only has been looked up (the resolver is idle). */
  resolved(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server on `port`: no persistence, loopback only. */
export function spawnRedisServer(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
}

/** Whether a Redis at `url` answers PING within about five seconds (a server that is starting up). */
export async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  probe.on('error', () => undefined);
  for (let i = 0; i < 100; i++) {
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return true;
    } catch {
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}

/** REDIS_URL if given; otherwise a private redis-server on a free port (stopped with the pipeline). */
async function redisFor(url: string | undefined): Promise<{ url: string; child?: ChildProcess }> {
  if (url) return { url };
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      'no REDIS_URL and no redis-server on PATH. Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL=redis://host:6379',
    );
  }
  const port = await freePort();
  const child = spawnRedisServer(port);
  if (await redisAnswers(`redis://127.0.0.1:${port}`)) return { url: `redis://127.0.0.1:${port}`, child };
  child.kill();
  throw new Error(`redis-server did not start on port ${port}`);
}

export interface PipelineOptions {
  redisUrl?: string;
  faults?: FaultOptions;
  logLevel?: string;
  /** Extra environment for leadstage (e.g. BATCH_WINDOW_MS). */
  env?: Record<string, string>;
  /** Skip the seed's records (tests that add their own data); the Salesforce schema is always set up. */
  seed?: boolean;
  /** The worker's clock (a ShiftedClock plays time-driven work fast); default the system clock. */
  clock?: Clock;
  /**
   * Run as the connected app: no single-account tokens; accounts are installed through the OAuth
   * routes (src/demo/install-tenants.ts), admin routes on with this token, tenant configs from `configDir`.
   */
  connectedApp?: { adminToken: string; configDir: string };
  /** Tests only: the worker's change feeds accept a fake stream server's self-signed certificate. */
  changeFeedRejectUnauthorizedSsl?: false;
}

/** The single-account settings a connected-app run leaves out (its accounts install by OAuth). */
const SINGLE_ACCOUNT = [
  'HUBSPOT_ACCESS_TOKEN',
  'HUBSPOT_PORTAL_ID',
  'SALESFORCE_ACCESS_TOKEN',
  'SALESFORCE_REFRESH_TOKEN',
  'SALESFORCE_INSTANCE_URL',
];

/** Sandbox CRM + leadstage's web server and worker, wired to each other, on this machine. */
export async function startPipeline(opts: PipelineOptions = {}): Promise<Pipeline> {
  const loaded = loadConfigFile('config/leadstage.yaml');
  if (!loaded.ok) throw loaded.error;
  const config = loaded.config;
  const redis = await redisFor(opts.redisUrl ?? process.env['REDIS_URL']);
  const sandbox = new SandboxCrm({ ...(opts.faults ? { faults: opts.faults } : {}) });
  const seed = readSeed();
  if (opts.seed !== false) loadSeed(sandbox, seed);
  else Object.assign(sandbox.salesforce.schema, seed.salesforce.schema); // the org's setup, without its data
  await sandbox.start();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prefix = `lsrun${randomBytes(4).toString('hex')}`;
  const base = sandbox.leadstageEnv(url);
  const app = opts.connectedApp;
  const accountEnv = app
    ? {
        ...Object.fromEntries(Object.entries(base).filter(([k]) => !SINGLE_ACCOUNT.includes(k))),
        ...connectedAppEnv(sandbox, randomBytes(32)),
        ADMIN_TOKEN: app.adminToken,
        TENANT_CONFIG_DIR: app.configDir,
      }
    : base;
  const parsed = parseEnv({
    PORT: String(port),
    REDIS_URL: redis.url,
    LEADSTAGE_REDIS_PREFIX: prefix,
    LOG_LEVEL: opts.logLevel ?? 'warn',
    ...accountEnv,
    BATCH_WINDOW_MS: '100',
    ...opts.env,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const env = parsed.env;
  const log = createLogger(env.LOG_LEVEL);
  const web = await startWebService({ env, config, log });
  const worker = await startWorkerService({
    env,
    config,
    log,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.changeFeedRejectUnauthorizedSsl === false ? { changeFeedRejectUnauthorizedSsl: false as const } : {}),
  });
  sandbox.connect(url, LOCAL.salesforceToken);

  const idle = async () => {
    const tenants = [
      ...[...sandbox.hubspotPortals.keys()].map((id) => `{hubspot:${id}}`),
      `{salesforce:${LOCAL.orgId.slice(0, 15)}}`,
      '{email}',
    ];
    const counts = await Promise.all(
      [web.queues.recompute, web.queues.resolve].map((q) =>
        q.getJobCounts('waiting', 'delayed', 'active', 'prioritized'),
      ),
    );
    const jobs = counts.flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0);
    const sets = await Promise.all(
      tenants.flatMap((t) => [`${prefix}:${t}:pending`, `${prefix}:${t}:inflight`]).map((k) => web.redis.scard(k)),
    );
    return jobs === 0 && sets.every((n) => n === 0);
  };
  return {
    sandbox,
    web,
    worker,
    env,
    config,
    url,
    async drained(timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      let quiet = 0;
      // Twice idle in a row: our own writes echo back as webhooks, which must settle too.
      while (quiet < 2) {
        if (Date.now() > end) throw new Error('the pipeline did not drain in time');
        await sandbox.webhooksIdle();
        quiet = (await idle()) ? quiet + 1 : 0;
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    async resolved(timeoutMs = 30_000) {
      const keys = new Keys(prefix);
      await waitFor(
        async () => {
          const jobs = await web.queues.resolve.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
          const sets = await Promise.all(
            [keys.unresolvedPending(), keys.unresolvedInflight()].map((k) => web.redis.scard(k)),
          );
          return Object.values(jobs).every((n) => n === 0) && sets.every((n) => n === 0);
        },
        'the e-mail resolver',
        timeoutMs,
      );
    },
    async stop() {
      await worker.stop();
      await web.stop();
      await sandbox.stop();
      const r = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      r.on('error', () => undefined);
      await deleteByPrefix(r, prefix);
      r.disconnect();
      redis.child?.kill();
    },
  };
}
