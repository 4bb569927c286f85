import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { signV3 } from '../../webhooks/hubspot/hubspot-signature.ts';
import { deleteKeys, HUBSPOT_SECRET, PUBLIC_BASE_URL, REDIS_URL } from '../helpers/ingress.ts';
import { freePort } from '../helpers/redis-server.ts';
import { Redis } from 'ioredis';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('npm start process', () => {
  it('refuses to start on a bad environment, naming the variable', async () => {
    const child = spawn(process.execPath, ['src/app/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('REDIS_URL: REDIS_URL is required');
  });

  it('on SIGTERM finishes the request in flight, then exits 0 promptly', async () => {
    const port = await freePort();
    const prefix = `lstest-sd-${port}`;
    const child = spawn(process.execPath, ['src/app/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        PORT: String(port),
        REDIS_URL,
        PUBLIC_BASE_URL,
        HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET,
        LEADSTAGE_SOURCES: 'hubspot',
        LEADSTAGE_REDIS_PREFIX: prefix,
        LOG_LEVEL: 'info',
        SHUTDOWN_TIMEOUT_MS: '5000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      for (let i = 0; i < 100 && !out.includes('webhook server listening'); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('webhook server listening');

      const body = Buffer.from(
        JSON.stringify([
          {
            eventId: 1,
            subscriptionId: 2,
            portalId: 62515,
            occurredAt: Date.now(),
            subscriptionType: 'contact.creation',
            objectId: 9,
          },
        ]),
      );
      const ts = String(Date.now());
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/webhooks/hubspot',
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          'x-hubspot-signature-v3': signV3(HUBSPOT_SECRET, 'POST', `${PUBLIC_BASE_URL}/webhooks/hubspot`, body, ts),
          'x-hubspot-request-timestamp': ts,
        },
      });
      const response = once(req, 'response');
      req.write(body.subarray(0, 10)); // the request is in flight…
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      child.kill('SIGTERM'); // …when the signal arrives
      await new Promise((r) => setTimeout(r, 100));
      req.end(body.subarray(10));
      const [res] = (await response) as [{ statusCode: number; resume: () => void }];
      res.resume();
      expect(res.statusCode).toBe(204);
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(out).toContain('webhook server stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      const redis = new Redis(REDIS_URL);
      await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
    }
  });
});
