import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/demo/pipeline.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { EVENTS_SECRET, postFeed, REDIS_URL } from '../helpers/ingress.ts';
import { until } from '../helpers/until.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const TEXT = readFileSync(join(ROOT, 'config/leadstage.yaml'), 'utf8');
let child: ChildProcess | undefined;
const prefix = `lsrl${randomBytes(3).toString('hex')}`;
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  const r = new Redis(REDIS_URL);
  await deleteByPrefix(r, prefix);
  r.disconnect();
});

describe('config reload without a restart (SIGHUP)', () => {
  it('switches to a valid new config, and keeps the old one when the new one is invalid', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ls-reload-')), 'leadstage.yaml');
    writeFileSync(path, TEXT);
    const port = await freePort();
    child = spawn(process.execPath, ['src/app/main.ts', 'web'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '',
        REDIS_URL,
        PORT: String(port),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        LEADSTAGE_SOURCES: 'events',
        EVENTS_SIGNING_SECRET: EVENTS_SECRET,
        LEADSTAGE_CONFIG: path,
        LEADSTAGE_REDIS_PREFIX: prefix,
        LOG_LEVEL: 'info',
      },
    });
    let log = '';
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    const base = `http://127.0.0.1:${port}`;
    await until(
      async () =>
        (await fetch(`${base}/readyz`).then(
          (r) => r.status,
          () => 0,
        )) === 200,
      15_000,
      'the web server',
    );
    const event = JSON.stringify({
      id: `e-${Date.now()}`,
      type: 'trial_extended',
      occurredAt: new Date().toISOString(),
      contact: { crm: 'hubspot', portalId: 62515, id: '700' },
    });
    expect((await postFeed(base, event)).status).toBe(400); // not a known activity type yet

    writeFileSync(path, TEXT.replace('customActivityTypes: []', 'customActivityTypes: [trial_extended]'));
    child.kill('SIGHUP');
    await until(() => /config reloaded/.test(log), 10_000, 'the reload');
    expect((await postFeed(base, event)).status).toBe(202);

    writeFileSync(path, TEXT.replace('halfLifeDays: 30 ', 'halfLifeDays: -3 '));
    child.kill('SIGHUP');
    await until(() => /config reload: invalid config; keeping the current one/.test(log), 10_000, 'the refusal');
    expect(log).toMatch(/leadstage\.yaml:\d+ engagement\.halfLifeDays/);
    const again = JSON.stringify({
      id: `e2-${Date.now()}`,
      type: 'trial_extended',
      occurredAt: new Date().toISOString(),
      contact: { crm: 'hubspot', portalId: 62515, id: '700' },
    });
    expect((await postFeed(base, again)).status).toBe(202); // still the reloaded config
    expect(child.exitCode).toBeNull();
  }, 40_000);
});
