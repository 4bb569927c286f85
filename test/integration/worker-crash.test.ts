import { spawn, type ChildProcess } from 'node:child_process';
import { until } from '../helpers/until.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hubspotPropertySpecs } from '../../src/crm/hubspot/hubspot-setup.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { postFeed, startIngress, type TestIngress } from '../helpers/ingress.ts';

// At-least-once in, exactly-once out, with a real crash: the worker is a separate process killed
// with SIGKILL in the middle of a batch, and a new one takes over the stalled job.
const ROOT = new URL('../..', import.meta.url).pathname;
let t: TestIngress;
let sandbox: SandboxCrm;
let base: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  t = await startIngress({ BATCH_WINDOW_MS: '50' });
  sandbox = new SandboxCrm();
  sandbox.hubspot.addProperties(hubspotPropertySpecs(defaultConfig()).map((p) => p.name));
  base = await sandbox.start();
  sandbox.hubspot.owners.push(
    { id: '1001', archived: false },
    { id: '1002', archived: false },
    { id: '1003', archived: false },
  );
  for (let i = 0; i < 20; i++) {
    sandbox.hubspot.contacts.set(String(300 + i), {
      id: String(300 + i),
      properties: {
        email: `c${i}@northwind.io`,
        jobtitle: 'VP Sales',
        industry: 'Software',
        numemployees: '100-500',
        country: 'United States',
        lifecyclestage: 'lead',
      },
    });
  }
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await sandbox.stop();
  await t.close();
});

function worker(): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, ['src/app/main.ts', 'worker'], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      LEADSTAGE_REDIS_PREFIX: t.prefix,
      HUBSPOT_ACCESS_TOKEN: 'pat-sandbox',
      HUBSPOT_API_BASE_URL: base,
      WORKER_LOCK_MS: '1000',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  children.push(child);
  return { child, log: () => out };
}

describe('a worker killed in the middle of a batch', () => {
  it.each([
    ['while creating the tasks (claimed, never confirmed)', 'tasks/batch/create'],
    ['while writing the contacts (tasks confirmed)', 'contacts/batch/update'],
  ])(
    '%s: the next worker writes every contact and creates no task twice',
    async (_, slowPath) => {
      sandbox.delays.set(slowPath, 1_500);
      const events = [...sandbox.hubspot.contacts.keys()].map((id) => ({
        id: `demo-${id}`,
        type: 'demo_request',
        occurredAt: new Date().toISOString(),
        contact: { crm: 'hubspot', portalId: 62515, id },
      }));
      expect((await postFeed(t.url, JSON.stringify(events))).status).toBe(202);

      const first = worker();
      await until(
        () => (sandbox.calls.get(`POST /crm/v3/objects/${slowPath}`) ?? 0) > 0,
        15_000,
        `the first worker to reach ${slowPath}`,
      );
      first.child.kill('SIGKILL'); // mid-request: the CRM may still complete it, as a real one would
      await new Promise((r) => first.child.once('exit', r));

      const second = worker();
      await until(
        () =>
          [...sandbox.hubspot.contacts.values()].every(
            (c) => c.properties['lifecyclestage'] === 'marketingqualifiedlead',
          ),
        20_000,
        'every contact to be written',
      );
      await until(() => /recompute batch applied/.test(second.log()), 15_000, 'the second worker to finish its batch');

      expect(sandbox.hubspot.tasks).toHaveLength(20);
      // Killed between claim and confirm: the new worker looked the stale tasks up in the CRM before
      // creating — with one batch-sized search (by creation time), not one search per task.
      const searches = sandbox.calls.get('POST /crm/v3/objects/tasks/search') ?? 0;
      if (slowPath.startsWith('tasks')) expect(searches).toBe(1);
      else expect(searches).toBe(0);
      const perContact = new Map<string, number>();
      for (const task of sandbox.hubspot.tasks)
        for (const id of task.contactIds) perContact.set(id, (perContact.get(id) ?? 0) + 1);
      expect([...perContact.values()].every((n) => n === 1)).toBe(true);
      expect([...sandbox.hubspot.contacts.values()].every((c) => c.properties['hubspot_owner_id'])).toBe(true);
      expect(await t.redis.scard(`${t.prefix}:{hubspot:62515}:inflight`)).toBe(0);
      // Logs name tenants and counts, never contacts' e-mail addresses.
      expect(first.log() + second.log()).not.toMatch(/@northwind\.io/);
    },
    40_000,
  );
});
