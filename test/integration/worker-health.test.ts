import { afterEach, describe, expect, it } from 'vitest';
import { startWorkerService, type WorkerService } from '../../src/app/worker-service.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { deleteKeys, REDIS_URL } from '../helpers/ingress.ts';
import { Redis } from 'ioredis';

let w: WorkerService | undefined;
const prefix = `lswh${Date.now().toString(36)}`;
afterEach(async () => {
  await w?.stop();
  const r = new Redis(REDIS_URL);
  await deleteKeys(r, `${prefix}:*`);
  r.disconnect();
});

describe("the worker's health server (WORKER_HEALTH_PORT)", () => {
  it('answers /healthz, /readyz with its checks, and /metrics only with the bearer token', async () => {
    const parsed = parseEnv(
      { REDIS_URL, LEADSTAGE_REDIS_PREFIX: prefix, WORKER_HEALTH_PORT: '0', METRICS_TOKEN: 'metrics-token-0123456789' },
      { web: false },
    );
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    w = await startWorkerService({ env: parsed.env, config: defaultConfig(), log: createLogger('silent') });
    const base = `http://127.0.0.1:${w.healthPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: 'ok', worker: 'ok' } });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('leadstage_queue_jobs');
  });
});
