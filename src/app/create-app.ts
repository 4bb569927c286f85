import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import type { Redis } from 'ioredis';
import { bearerAllows } from '../platform/bearer.ts';
import { withDeadline } from '../platform/deadline.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { Queues } from '../platform/queues.ts';

export interface AppOptions {
  /** The webhook routers of the enabled sources, mounted after the raw-body parser. */
  routers: readonly Router[];
  redis: Redis;
  queues: Queues;
  metrics: Metrics;
  log: Logger;
  maxBodyBytes: number;
  /** Required as a Bearer token on /metrics when set. */
  metricsToken?: string | undefined;
}

export interface App {
  express: Express;
  /** Stop taking webhooks (503) and report not ready; in-flight requests finish. */
  drain(): void;
}

/** The express app: webhook routers behind a raw-body parser, plus health, readiness and metrics. */
export function createApp(opts: AppOptions): App {
  const { metrics, log } = opts;
  let draining = false;
  const app = express();
  app.disable('x-powered-by');

  app.use((req, res, next) => {
    const stop = metrics.requestSeconds.startTimer();
    res.on('finish', () =>
      stop({
        route:
          req.route?.path ?? (req.path.startsWith('/webhooks/') ? req.path.split('/').slice(0, 3).join('/') : 'other'),
        status: String(res.statusCode),
      }),
    );
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (draining) return void res.status(503).json({ status: 'draining' });
    try {
      await withDeadline(opts.redis.ping(), 1_000);
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'redis unavailable' });
    }
  });
  app.get('/metrics', async (req, res) => {
    if (!bearerAllows(req.get('authorization'), opts.metricsToken))
      return void res.status(401).json({ error: 'metrics need the bearer token' });
    try {
      const counts = await withDeadline(
        Promise.all([opts.queues.recompute.getJobCounts(), opts.queues.resolve.getJobCounts()]),
        1_000,
      );
      for (const [queue, c] of [
        ['recompute', counts[0]],
        ['resolve', counts[1]],
      ] as const) {
        for (const [state, n] of Object.entries(c)) metrics.queueJobs.set({ queue, state }, n);
      }
    } catch {
      // Queue depths are best effort; the rest of the metrics must still be scrapeable.
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.use('/webhooks', (_req, res, next) => {
    if (!draining) return next();
    res.set('Connection', 'close').set('Retry-After', '5').status(503).json({ error: 'shutting down, retry later' });
  });
  app.use('/webhooks', express.raw({ type: () => true, limit: opts.maxBodyBytes }));
  for (const router of opts.routers) app.use(router);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') {
      metrics.rejected.inc({ source: req.path.split('/')[2] ?? 'unknown', reason: 'too_large' });
      return void res.status(413).json({ error: `body larger than ${opts.maxBodyBytes} bytes` });
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      metrics.rejected.inc({ source: req.path.split('/')[2] ?? 'unknown', reason: 'unreadable_body' });
      return void res.status(400).json({ error: 'unreadable request body' });
    }
    log.error({ err, path: req.path }, 'unhandled error');
    if (!res.headersSent) res.status(500).json({ error: 'internal error' });
  };
  app.use(onError);

  return {
    express: app,
    drain() {
      draining = true;
    },
  };
}
