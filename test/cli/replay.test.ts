import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseSince } from '../../src/cli/replay.ts';
import { hubspotPropertySpecs } from '../../src/crm/hubspot/hubspot-setup.ts';
import { Keys, QUEUE } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// `leadstage replay`: the contacts the CRM modified since a time are queued, whatever leadstage
// saw — against the sandbox's HubSpot search (lastmodifieddate) over HTTP, with a real Redis.
const ROOT = new URL('../..', import.meta.url).pathname;
const prefix = `lsreplay${randomBytes(3).toString('hex')}`;
const tenant = { crm: 'hubspot', id: '62515' };
let sandbox: SandboxCrm;
let redis: Redis;

beforeAll(async () => {
  sandbox = new SandboxCrm();
  sandbox.hubspot.addProperties(hubspotPropertySpecs(defaultConfig()).map((p) => p.name));
  const now = Date.now();
  for (let i = 0; i < 300; i++) {
    const id = String(500 + i);
    sandbox.hubspot.contacts.set(id, { id, properties: { email: `r${i}@example.com`, lifecyclestage: 'subscriber' } });
    // 250 modified two days ago, 50 in the last hour.
    sandbox.hubspot.modifiedAt.set(id, i < 250 ? now - 2 * 86_400_000 + i * 1000 : now - 3_000_000 + i * 1000);
  }
  await sandbox.start();
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await sandbox.stop();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

const run = async (args: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = await main(['replay', ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readFile: () => '',
    env: {
      REDIS_URL,
      LEADSTAGE_REDIS_PREFIX: prefix,
      LEADSTAGE_CONFIG: `${ROOT}config/leadstage.yaml`,
      HUBSPOT_ACCESS_TOKEN: 'pat-sandbox',
      HUBSPOT_PORTAL_ID: '62515',
      HUBSPOT_API_BASE_URL: sandbox.url,
    },
  });
  return { code, stdout, stderr };
};

describe('leadstage replay', () => {
  it('queues exactly the contacts modified since the time, in one search call, and asks for a recompute', async () => {
    const r = await run(['hubspot:62515', '--since', '1h', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, queued: 50, crmCalls: 1, stopped: 'done' });
    const pending = await redis.smembers(new Keys(prefix).pending(tenant));
    expect(pending.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `contact:${750 + i}`).sort());
    const queue = new Queue(QUEUE.recompute, { connection: redis.duplicate(), prefix });
    const counts = await queue.getJobCounts('waiting', 'delayed', 'prioritized');
    await queue.close();
    expect(counts['waiting']! + counts['delayed']! + counts['prioritized']!).toBe(1); // one job for the tenant
  });

  it('stops at --max and says where to go on from', async () => {
    const r = await run(['hubspot:62515', '--since', '3d', '--max', '200']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^queued 200 contacts of hubspot:62515 modified since/);
    expect(r.stderr).toMatch(/stopped at --max 200: run again with --since \d{4}-\d{2}-\d{2}T/);
  });

  it.each([
    [['hubspot:62515'], /usage: leadstage replay/],
    [['hubspot:62515', '--since', 'yesterday'], /--since: not a past time or span: yesterday/],
    [['hubspot:62515', '--since', '2h', '--max', '0'], /usage/],
    [['pipedrive:1', '--since', '2h'], /usage/],
  ])('refuses %j with exit 2', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('parseSince', () => {
  const now = new Date('2026-12-03T12:00:00Z');
  it.each([
    ['90m', '2026-12-03T10:30:00.000Z'],
    ['6h', '2026-12-03T06:00:00.000Z'],
    ['2d', '2026-12-01T12:00:00.000Z'],
    ['2026-12-01T08:00:00Z', '2026-12-01T08:00:00.000Z'],
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
  ])('%s → %s', (text, iso) => expect(parseSince(text, now)?.toISOString()).toBe(iso));
  it.each(['tomorrow', '2027-01-01', '-2h', '2h ago'])('rejects %s', (text) =>
    expect(parseSince(text, now)).toBeNull(),
  );
});
