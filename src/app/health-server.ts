import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerAllows } from '../platform/bearer.ts';
import { withDeadline } from '../platform/deadline.ts';
import type { Metrics } from '../platform/metrics.ts';

export interface HealthServerOptions {
  port: number;
  host: string;
  metrics: Metrics;
  /** Required as a Bearer token on /metrics when set. */
  metricsToken?: string | undefined;
  /** Readiness checks by name: each resolves when that dependency answers. */
  ready: Record<string, () => Promise<unknown>>;
  /** Extra facts for /readyz that do not decide readiness (the last CRM outcome per tenant). */
  info?: () => Record<string, unknown>;
  /** Refresh gauges just before a scrape. */
  beforeScrape?: () => Promise<void>;
}

/**
 * The worker's own /healthz (the process runs), /readyz (each check answers within 1 s) and
 * /metrics, on WORKER_HEALTH_PORT: so an orchestrator checks the worker itself, not the web port.
 */
export async function startHealthServer(
  opts: HealthServerOptions,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      if (req.url === '/healthz') return json(200, { status: 'ok' });
      if (req.url === '/readyz') {
        const results = await Promise.all(
          Object.entries(opts.ready).map(async ([name, check]) => {
            try {
              await withDeadline(check(), 1_000);
              return [name, 'ok'] as const;
            } catch {
              return [name, 'unavailable'] as const;
            }
          }),
        );
        const ok = results.every(([, r]) => r === 'ok');
        return json(ok ? 200 : 503, {
          status: ok ? 'ready' : 'not ready',
          checks: Object.fromEntries(results),
          ...(opts.info?.() ?? {}),
        });
      }
      if (req.url === '/metrics') {
        if (!bearerAllows(req.headers.authorization, opts.metricsToken))
          return json(401, { error: 'metrics need the bearer token' });
        await opts.beforeScrape?.().catch(() => undefined);
        res.writeHead(200, { 'content-type': opts.metrics.registry.contentType });
        return res.end(await opts.metrics.registry.metrics());
      }
      json(404, { error: 'not found' });
    })();
  });
  server.listen(opts.port, opts.host);
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
