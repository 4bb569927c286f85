import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { hubspotPropertySpecs } from '../../src/crm/hubspot/hubspot-setup.ts';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { readSeed } from '../../src/sandbox/seed.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// `leadstage rescore <crm:accountId>` against the sandbox over HTTP, with a real Redis: one list
// call per page, writes only for changed contacts, a checkpoint a stopped run resumes from.
const ROOT = new URL('../..', import.meta.url).pathname;
const prefix = `lsrescore${randomBytes(3).toString('hex')}`;
const hs = { crm: 'hubspot', id: '62515' };
const sf = { crm: 'salesforce', id: '00D5g000004SxyzEAC' };
let sandbox: SandboxCrm;
let redis: Redis;

beforeAll(async () => {
  sandbox = new SandboxCrm();
  sandbox.hubspot.addProperties(hubspotPropertySpecs(defaultConfig()).map((p) => p.name));
  sandbox.hubspot.owners.push({ id: '1001', archived: false }, { id: '1002', archived: false });
  for (let i = 0; i < 250; i++) {
    const id = String(7000 + i);
    sandbox.hubspot.contacts.set(id, {
      id,
      properties: { email: `r${i}@example.com`, jobtitle: 'Engineer', lifecyclestage: 'subscriber' },
    });
  }
  const seed = readSeed();
  sandbox.salesforce.schema.Lead = seed.salesforce.schema.Lead;
  sandbox.salesforce.schema.Contact = seed.salesforce.schema.Contact;
  for (let i = 0; i < 30; i++) {
    const Id = sandbox.salesforce.newId('Lead');
    sandbox.salesforce.records.Lead.set(Id, {
      Id,
      Email: `l${i}@example.com`,
      Title: 'Engineer',
      Company: `Co ${i}`,
      IsConverted: false,
    });
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
  const env = {
    ...sandbox.leadstageEnv('http://127.0.0.1:1'),
    REDIS_URL,
    LEADSTAGE_REDIS_PREFIX: prefix,
    LEADSTAGE_CONFIG: `${ROOT}config/leadstage.yaml`,
  };
  const code = await main(['rescore', ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readFile: () => '',
    env,
  });
  return { code, stdout, stderr };
};
const listCalls = () => sandbox.calls.get('GET /crm/v3/objects/contacts') ?? 0;
const hsWrites = () => sandbox.calls.get('POST /crm/v3/objects/contacts/batch/update') ?? 0;

describe('leadstage rescore', () => {
  it('HubSpot: reads 100 a page, writes what changed, and prints a JSON summary against the floor', async () => {
    const r = await run(['hubspot:62515', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      tenant: 'hubspot:62515',
      contactsRead: 250,
      changed: 250,
      shareChanged: 1,
      floor: 6,
      stopped: 'done',
    });
    expect(out.crmCalls).toBe(out.floor + 2); // + the owner listing (active and archived)
    expect(out.ratio).toBeCloseTo(8 / 6);
    expect(listCalls()).toBe(3);
    expect(hsWrites()).toBe(3);
    expect(sandbox.calls.get('POST /crm/v3/objects/contacts/batch/read') ?? 0).toBe(0);
    expect(sandbox.hubspot.contacts.get('7000')!.properties['leadstage_score']).toMatch(/^\d+$/);

    // A person changes 20 scores in the CRM: the next rescore writes back exactly those, in one call.
    for (let i = 0; i < 20; i++)
      sandbox.hubspot.contacts.get(String(7000 + i * 12))!.properties['leadstage_score'] = '99';
    const again = JSON.parse((await run(['hubspot:62515', '--json'])).stdout);
    expect(again).toMatchObject({ contactsRead: 250, changed: 20, floor: 4 });
    expect(listCalls()).toBe(6);
    expect(hsWrites()).toBe(4);
  });

  it('prints progress lines with rate and ETA, and resumes from the stored checkpoint unless --restart', async () => {
    const keys = new Keys(prefix);
    await redis.set(keys.rescoreCursor(hs), JSON.stringify({ cursor: '7200', read: 200, changed: 0 }));
    const resumed = await run(['hubspot:62515', '--every', '1']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(
      /^rescored hubspot:62515 \(resumed\): 250 contacts read, 0 changed \(0\.0 %\), \d+ CRM calls for a floor of 1 /,
    );
    expect(resumed.stderr).toMatch(
      /^rescore hubspot:62515: 250 \/ 250 \(100 %\) contacts read, 0 changed, \d+ CRM calls, [\d,]+ contacts\/s, ETA 0s$/m,
    );
    expect(await redis.get(keys.rescoreCursor(hs))).toBeNull();

    await redis.set(keys.rescoreCursor(hs), JSON.stringify({ cursor: '7200', read: 200, changed: 0 }));
    const restarted = JSON.parse((await run(['hubspot:62515', '--restart', '--json'])).stdout);
    expect(restarted).toMatchObject({ contactsRead: 250, resumedFrom: null });
  });

  it('draws a progress bar on a terminal (cli-progress): share done, contacts, changed, calls, rate, ETA', async () => {
    let drawn = '';
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 200 }) as unknown as NodeJS.WriteStream;
    terminal.on('data', (chunk: Buffer) => (drawn += chunk.toString('utf8')));
    const env = {
      ...sandbox.leadstageEnv('http://127.0.0.1:1'),
      REDIS_URL,
      LEADSTAGE_REDIS_PREFIX: prefix,
      LEADSTAGE_CONFIG: `${ROOT}config/leadstage.yaml`,
    };
    let stderr = '';
    const code = await main(['rescore', 'hubspot:62515', '--restart'], {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
      readFile: () => '',
      env,
      terminal,
    });
    expect(code, stderr).toBe(0);
    expect(drawn).toMatch(
      /rescore hubspot:62515 \[[█░]+\] 100% \| 250\/250 contacts \| \d+ changed \| \d+ CRM calls \| [\d,]+\/s \| ETA 0s/,
    );
    expect(stderr).not.toMatch(/contacts read/); // no plain lines on a terminal
  });

  it('Salesforce: open Leads by keyset SOQL, written through sObject Collections', async () => {
    const r = await run(['salesforce:00D5g000004SxyzEAC', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      tenant: 'salesforce:00D5g000004SxyzEAC',
      contactsRead: 30,
      changed: 30,
    });
    expect(sandbox.calls.get('PATCH /services/data/v61.0/composite/sobjects')).toBe(1);
    const lead = [...sandbox.salesforce.records.Lead.values()][0]!;
    expect(typeof lead['Lead_Score__c']).toBe('number');
    expect(await redis.get(new Keys(prefix).rescoreCursor(sf))).toBeNull();
  });

  it.each([
    [[], /usage: leadstage rescore/],
    [['hubspot'], /usage/],
    [['pipedrive:1'], /usage/],
    [['hubspot:62515', '--every', '0'], /usage/],
  ])('refuses %j with exit 2', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
