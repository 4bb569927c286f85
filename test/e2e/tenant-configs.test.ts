import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebService, type WebService } from '../../src/app/web-service.ts';
import { startWorkerService, type WorkerService } from '../../src/app/worker-service.ts';
import { checkTenantConfigFile } from '../../src/app/tenant-configs.ts';
import { connectCommand } from '../../src/cli/tenants.ts';
import { connectedAppEnv, installTenant, setTenantConfig } from '../../src/demo/install-tenants.ts';
import { freePort } from '../../src/demo/pipeline.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// Two HubSpot portals install the connected app through the real routes (install link → the
// sandbox's consent page → callback → POST /oauth/v3/token, whose answer names hub_id:
// https://developers.hubspot.com/docs/api-reference/legacy/authentication/manage-oauth-tokens),
// each gets its own config file through the admin route, and the same activity on the same kind of
// contact makes an MQL in one portal and stays a lead in the other.
const ADMIN = 'admin-token-for-the-e2e-test-0001';
const prefix = `lstc${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'ls-tenant-configs-'));
const shipped = readFileSync(new URL('../../config/leadstage.yaml', import.meta.url), 'utf8');
const MQL_LINE = /marketingqualifiedlead: \{ minScore: 60, minGrade: B, minEngagement: 25 \}/;
let sandbox: SandboxCrm;
let web: WebService;
let worker: WorkerService;
let base = '';
const key = randomBytes(32);

beforeAll(async () => {
  expect(shipped).toMatch(MQL_LINE);
  // Same contact, same activity (an e-mail reply: 20 points, fit A: 60) → score 80 in both portals.
  writeFileSync(
    join(dir, 'eager.yaml'),
    shipped.replace(MQL_LINE, 'marketingqualifiedlead: { minScore: 60, minGrade: B, minEngagement: 10 }'),
  );
  // The strict portal also has an activity type of its own (its workflows report trials extended).
  writeFileSync(
    join(dir, 'strict.yaml'),
    shipped
      .replace(MQL_LINE, 'marketingqualifiedlead: { minScore: 150, minGrade: B, minEngagement: 10 }')
      .replace('customActivityTypes: []', 'customActivityTypes: [trial_extended]'),
  );
  writeFileSync(join(dir, 'broken.yaml'), shipped.replace(MQL_LINE, 'marketingqualifiedlead: { minScore: lots }'));
  sandbox = new SandboxCrm();
  sandbox.addHubSpotPortal('73001');
  for (const face of sandbox.hubspotPortals.values())
    face.owners.push({ id: '1001', archived: false }, { id: '1002', archived: false });
  await sandbox.start();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = parseEnv({
    REDIS_URL,
    PORT: String(port),
    PUBLIC_BASE_URL: base,
    LEADSTAGE_REDIS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    LEADSTAGE_SOURCES: 'hubspot',
    ADMIN_TOKEN: ADMIN,
    TENANT_CONFIG_DIR: dir,
    BATCH_WINDOW_MS: '50',
    ...connectedAppEnv(sandbox, key),
  });
  if (!env.ok) throw new Error(env.errors.join('\n'));
  const log = createLogger('silent');
  web = await startWebService({ env: env.env, config: defaultConfig(), log });
  worker = await startWorkerService({ env: env.env, config: defaultConfig(), log });
  sandbox.connect(base, 'unused-salesforce-token');
});
afterAll(async () => {
  await worker?.stop();
  await web?.stop();
  await sandbox.stop();
  const r = new Redis(REDIS_URL);
  await deleteByPrefix(r, prefix);
  await r.quit();
  rmSync(dir, { recursive: true, force: true });
});

const vp = {
  email: 'dana@northwind.io',
  firstname: 'Dana',
  lastname: 'Ortiz',
  jobtitle: 'VP Sales',
  company: 'Northwind',
  industry: 'Software',
  numemployees: '100-500',
  country: 'United States',
  lifecyclestage: 'lead',
};

async function scored(portal: string, id: string, timeoutMs = 20_000): Promise<Record<string, string | null>> {
  const face = sandbox.hubspotPortals.get(portal)!;
  const end = Date.now() + timeoutMs;
  while (face.contacts.get(id)!.properties['leadstage_score'] === undefined) {
    if (Date.now() > end) throw new Error(`portal ${portal}: contact ${id} was not scored`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await sandbox.webhooksIdle();
  return face.contacts.get(id)!.properties;
}

describe('two HubSpot portals, each with its own config', () => {
  it('installs both through the routes, sets their configs through the admin route, and scores each with its own', async () => {
    const a = await installTenant(base, sandbox, 'hubspot', { portalId: '62515' });
    const b = await installTenant(base, sandbox, 'hubspot', { portalId: '73001' });
    expect(a, a.page).toMatchObject({ ok: true, tenant: { crm: 'hubspot', id: '62515' } });
    expect(b, b.page).toMatchObject({ ok: true, tenant: { crm: 'hubspot', id: '73001' } });
    expect(sandbox.hubspotPortals.get('73001')!.properties.has('leadstage_score')).toBe(true); // setup ran in portal B

    const refused = await setTenantConfig(base, ADMIN, b.tenant, 'broken.yaml');
    expect(refused.status).toBe(400);
    expect(refused.body['reason']).toMatch(/broken\.yaml:\d+ lifecycle\.criteria\.marketingqualifiedlead\.minScore/);
    expect((await setTenantConfig(base, ADMIN, b.tenant, '../../etc/hosts')).status).toBe(400);
    expect((await setTenantConfig(base, 'wrong-token-wrong-token', b.tenant, 'strict.yaml')).status).toBe(401);
    const setA = await setTenantConfig(base, ADMIN, a.tenant, 'eager.yaml');
    const setB = await setTenantConfig(base, ADMIN, b.tenant, 'strict.yaml');
    expect(setA).toMatchObject({
      status: 200,
      body: { configFile: join(dir, 'eager.yaml'), configVersion: expect.stringMatching(/^[0-9a-f]{12}$/) },
    });
    expect(setB.status).toBe(200);

    for (const portal of ['62515', '73001']) {
      const face = sandbox.hubspotPortals.get(portal)!;
      face.contacts.set('801', { id: '801', properties: { ...vp } });
      face.setProperty('801', 'hs_email_last_reply_date', String(Date.now() - 60_000)); // the portal sends the webhook
    }
    const inA = await scored('62515', '801');
    const inB = await scored('73001', '801');
    expect(inA['leadstage_score']).toBe(inB['leadstage_score']);
    expect(inA).toMatchObject({ lifecyclestage: 'marketingqualifiedlead', hs_lead_status: 'NEW' });
    expect(inB['lifecyclestage']).toBe('lead');
    expect(sandbox.hubspotPortals.get('62515')!.tasks).toHaveLength(1);
    expect(sandbox.hubspotPortals.get('73001')!.tasks).toHaveLength(0);

    // Ingress takes each portal's own activity types: B's workflow may report its own type, A's may not.
    expect(await sandbox.hubspotSenders.get('73001')!.workflow(base, 'trial_extended', { objectId: 801 })).toBe(204);
    expect(await sandbox.hubspotSenders.get('62515')!.workflow(base, 'trial_extended', { objectId: 801 })).toBe(400);

    const listed = (await (
      await fetch(`${base}/admin/tenants`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as { id: string; configVersion: string | null }[];
    expect(listed.find((t) => t.id === '62515')!.configVersion).toBe(setA.body['configVersion']);
  });

  it('installs a third portal from a signed link that picks its config; an altered link installs nothing', async () => {
    sandbox.addHubSpotPortal('73002');
    const printed: string[] = [];
    const io = {
      stdout: (t: string) => printed.push(t.trim()),
      stderr: () => undefined,
      readFile: () => '',
      env: { PUBLIC_BASE_URL: base, TENANT_CONFIG_DIR: dir, LEADSTAGE_ENCRYPTION_KEY: key.toString('base64') },
    };
    expect(connectCommand(['hubspot', '--config', 'strict.yaml'], io)).toBe(0);
    expect(connectCommand(['hubspot', '--config', 'broken.yaml'], io)).toBe(1); // checked before a link is made
    expect(connectCommand(['hubspot', '--config', '../strict.yaml'], io)).toBe(1);
    const link = new URL(printed[0]!);
    expect(link.searchParams.get('config')).toBe('strict.yaml');

    const altered = new URL(link);
    altered.searchParams.set('config', 'eager.yaml');
    const refused = await installTenant(base, sandbox, 'hubspot', { portalId: '73002', link: altered.toString() });
    expect(refused).toMatchObject({ ok: false, status: 400, page: expect.stringContaining('altered or has expired') });
    expect(refused.page).not.toContain(dir);
    const adminList = async () =>
      (await (await fetch(`${base}/admin/tenants`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
        id: string;
        configVersion: string | null;
      }[];
    expect((await adminList()).some((t) => t.id === '73002')).toBe(false);

    const ok = await installTenant(base, sandbox, 'hubspot', { portalId: '73002', link: link.toString() });
    expect(ok, ok.page).toMatchObject({ ok: true, tenant: { id: '73002' } });
    const strict = checkTenantConfigFile(join(dir, 'strict.yaml'));
    expect((await adminList()).find((t) => t.id === '73002')!.configVersion).toBe(
      strict.ok ? strict.version : 'invalid',
    );
  });
});
