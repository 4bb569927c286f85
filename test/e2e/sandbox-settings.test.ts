import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/demo/pipeline.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { REDIS_URL } from '../helpers/ingress.ts';
import { until } from '../helpers/until.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0))
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await once(c, 'exit');
    }
});

describe('npm run sandbox', () => {
  it('prints settings with which `npm start` (web + worker) starts against it', async () => {
    const [sandboxPort, appPort] = [await freePort(), await freePort()];
    const sandbox = spawn(process.execPath, ['src/sandbox/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        SANDBOX_PORT: String(sandboxPort),
        LEADSTAGE_URL: `http://127.0.0.1:${appPort}`,
        REDIS_URL,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(sandbox);
    let out = '';
    sandbox.stdout!.on('data', (d) => (out += d));
    await until(() => /EVENTS_SIGNING_SECRET=/.test(out), 10_000);
    const settings = Object.fromEntries(
      out
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(settings).toMatchObject({
      SALESFORCE_CLIENT_ID: expect.any(String),
      SALESFORCE_REFRESH_TOKEN: expect.any(String),
      HUBSPOT_ACCESS_TOKEN: expect.any(String),
    });

    const prefix = `lsset${randomBytes(3).toString('hex')}`;
    const app = spawn(process.execPath, ['src/app/main.ts', 'all'], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        ...settings,
        PORT: String(appPort),
        LEADSTAGE_REDIS_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(app);
    let errors = '';
    app.stderr!.on('data', (d) => (errors += d));
    app.stdout!.on('data', (d) => (errors += d));
    const ready = async () =>
      (await fetch(`http://127.0.0.1:${appPort}/readyz`).then(
        (r) => r.status,
        () => 0,
      )) === 200;
    await until(async () => app.exitCode !== null || (await ready()), 15_000);
    expect(app.exitCode, errors).toBeNull();
    expect(await ready()).toBe(true);
    const redis = new Redis(REDIS_URL);
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  }, 30_000);
});
