import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { hubspotPropertySpecs } from '../../src/crm/hubspot/hubspot-setup.ts';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { ScoreLedger } from '../../src/store/score-ledger.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
let sandbox: SandboxCrm;
let redis: Redis;
const prefix = `lsex${randomBytes(3).toString('hex')}`;
const NOW = new Date('2026-11-23T15:00:00Z');

beforeAll(async () => {
  sandbox = new SandboxCrm();
  sandbox.hubspot.addProperties(hubspotPropertySpecs(defaultConfig()).map((p) => p.name));
  sandbox.hubspot.contacts.set('101', {
    id: '101',
    properties: {
      email: 'dana@northwind.io',
      jobtitle: 'VP Marketing',
      industry: 'Software',
      numemployees: '100-500',
      country: 'United States',
      lifecyclestage: 'lead',
      leadstage_score: '12',
    },
  });
  await sandbox.start();
  redis = new Redis(REDIS_URL);
  // The activity as ingress stored it.
  await redis.hset(
    new Keys(prefix).activities({ crm: 'hubspot', id: '62515' }, '101'),
    'feed:d1',
    JSON.stringify({ at: NOW.getTime() - 3_600_000, type: 'demo_request', attributes: {} }),
  );
  // Its score ledger: two earlier changes leadstage made.
  await new ScoreLedger(redis, new Keys(prefix)).append({ crm: 'hubspot', id: '62515' }, [
    {
      id: '101',
      entry: {
        at: '2026-11-20T09:00:00.000Z',
        cause: 'event',
        score: { from: null, to: 20 },
        stage: { from: 'subscriber', to: 'lead' },
        reasons: ['email-open +5'],
        stageReason: 'meets lead: engagement ≥ 5',
        configVersion: '0123456789abcdef',
      },
    },
    {
      id: '101',
      entry: {
        at: '2026-11-22T09:00:00.000Z',
        cause: 'decay',
        score: { from: 20, to: 12 },
        stage: { from: 'lead', to: 'lead' },
        reasons: ['email-open +2.5'],
      },
    },
  ]);
});
afterAll(async () => {
  await sandbox.stop();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

describe('leadstage explain', () => {
  it('reads the contact, plans it with its stored activities and shows every rule — and writes nothing', async () => {
    let stdout = '';
    let stderr = '';
    const code = await main(
      ['explain', 'hubspot:62515', '101'],
      {
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
      },
      () => NOW,
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^In the CRM now {2}score 12, grade —, stage lead/);
    expect(stdout).toMatch(/Activities {6}1 stored/);
    expect(stdout).toMatch(/demo-request/); // the rule that scored the stored demo request
    expect(stdout).toMatch(/marketingqualifiedlead/);
    expect(stdout).toMatch(
      /Score history {3}last 2 change\(s\), newest first\n {2}2026-11-22 09:00 {2}decay {2}score 20 → 12 {2}\(email-open \+2\.5\)\n {2}2026-11-20 09:00 {2}event {2}score — → 20, stage subscriber → lead {2}\(email-open \+5; meets lead: engagement ≥ 5\) \[config 01234567\]/,
    );
    expect([...sandbox.calls.keys()].filter((r) => !r.startsWith('POST /crm/v3/objects/contacts/batch/read'))).toEqual(
      [],
    );
  });
});
