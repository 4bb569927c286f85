import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWebService, type WebService } from '../../src/app/web-service.ts';
import { freePort } from '../../src/demo/pipeline.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { Keys } from '../../src/platform/keys.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SecretBox } from '../../src/platform/secret-box.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { loadSeed, readSeed } from '../../src/sandbox/seed.ts';
import { TenantStore } from '../../src/store/tenant-store.ts';
import { signV3 } from '../../webhooks/hubspot/hubspot-signature.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// The connected app's install, end to end over HTTP: leadstage's install route → the sandbox's
// consent page → the callback → the token exchange (HubSpot /oauth/v3/token; Salesforce's
// web-server flow with PKCE) → setup → an active tenant with sealed tokens.
const key = randomBytes(32);
const prefix = `lsca${randomBytes(3).toString('hex')}`;
let sandbox: SandboxCrm;
let web: WebService;
let redis: Redis;
let base = '';
let store: TenantStore;

beforeAll(async () => {
  sandbox = new SandboxCrm();
  loadSeed(sandbox, readSeed());
  await sandbox.start();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = parseEnv({
    REDIS_URL,
    PORT: String(port),
    PUBLIC_BASE_URL: base,
    LEADSTAGE_REDIS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    LEADSTAGE_SOURCES: 'hubspot,salesforce',
    HUBSPOT_CLIENT_ID: 'sandbox-hubspot-client-id',
    HUBSPOT_CLIENT_SECRET: 'sandbox-hubspot-client-secret',
    HUBSPOT_AUTH_BASE_URL: sandbox.url,
    HUBSPOT_API_BASE_URL: sandbox.url,
    SALESFORCE_CLIENT_ID: 'sandbox-client',
    SALESFORCE_CLIENT_SECRET: 'sandbox-client-secret',
    SALESFORCE_LOGIN_URL: sandbox.url,
    SALESFORCE_WEBHOOK_TOKEN: 'sandbox-outbound-message-token',
    LEADSTAGE_ENCRYPTION_KEY: key.toString('base64'),
  });
  if (!env.ok) throw new Error(env.errors.join('\n'));
  web = await startWebService({ env: env.env, config: defaultConfig(), log: createLogger('silent') });
  redis = new Redis(REDIS_URL);
  store = new TenantStore(redis, new Keys(prefix), new SecretBox({ id: 'k1', key }), {
    configFor: () => defaultConfig(),
  });
});
afterAll(async () => {
  await web.stop();
  await sandbox.stop();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});
beforeEach(() => {
  sandbox.hubspot.codeFlow.consent = 'grant';
  sandbox.salesforce.codeFlow.consent = 'grant';
});

/** Follow the install like a browser: leadstage → consent page → back to leadstage's callback. */
async function install(
  crm: string,
  tamper?: (callback: URL) => void,
): Promise<{ status: number; text: string; callback: URL }> {
  const start = await fetch(`${base}/oauth/${crm}/install`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  expect(consent.status).toBe(302);
  const callback = new URL(consent.headers.get('location')!);
  tamper?.(callback);
  const done = await fetch(callback, { redirect: 'manual' });
  return { status: done.status, text: await done.text(), callback };
}

describe('install on HubSpot', () => {
  it('redirects with client id, scopes, redirect URI and a signed state; activates the portal with sealed tokens', async () => {
    const start = await fetch(`${base}/oauth/hubspot/install`, { redirect: 'manual' });
    const to = new URL(start.headers.get('location')!);
    expect(to.pathname).toBe('/oauth/authorize');
    expect(to.searchParams.get('client_id')).toBe('sandbox-hubspot-client-id');
    expect(to.searchParams.get('redirect_uri')).toBe(`${base}/oauth/hubspot/callback`);
    expect(to.searchParams.get('scope')).toContain('crm.objects.contacts.write');
    expect(to.searchParams.get('state')).toMatch(/^[\w-]{24}\.[\w-]{32}$/);

    const r = await install('hubspot');
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain('leadstage is installed');
    const t = await store.stored({ crm: 'hubspot', id: '62515' });
    expect(t).toMatchObject({ status: 'active', timezone: 'US/Eastern', tier: 'oauth:unknown' });
    expect(t!.credentials['refreshToken']).toMatch(/^na1-/);
    expect(
      JSON.stringify(await redis.hgetall(new Keys(prefix).tenantRecord({ crm: 'hubspot', id: '62515' }))),
    ).not.toContain(t!.credentials['refreshToken']);
    expect(sandbox.hubspot.properties.has('leadstage_score')).toBe(true); // setup ran with the new token
  });

  it('refuses a reused state, a denied consent and an expired code, and installs nothing', async () => {
    const first = await install('hubspot');
    const replay = await fetch(first.callback, { redirect: 'manual' });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('expired or was already used');

    await store.erase({ crm: 'hubspot', id: '62515' });
    sandbox.hubspot.codeFlow.consent = 'deny';
    expect(await install('hubspot')).toMatchObject({
      status: 400,
      text: expect.stringContaining('did not grant access'),
    });
    sandbox.hubspot.codeFlow.consent = 'grant';
    expect(await install('hubspot', () => sandbox.hubspot.codeFlow.expireCodes())).toMatchObject({
      status: 400,
      text: expect.stringContaining('refused the code'),
    });
    expect(await store.stored({ crm: 'hubspot', id: '62515' })).toBeNull();
    expect((await fetch(`${base}/oauth/hubspot/callback?code=x&state=forged.state`)).status).toBe(400);
  });

  it('answers events of an uninstalled portal 2xx without queueing them', async () => {
    await install('hubspot');
    await store.setStatus({ crm: 'hubspot', id: '62515' }, 'uninstalled', 'BAD_REFRESH_TOKEN');
    const body = Buffer.from(
      JSON.stringify([
        {
          eventId: 1,
          subscriptionId: 1,
          portalId: 62515,
          occurredAt: Date.now(),
          subscriptionType: 'contact.creation',
          objectId: 1,
        },
      ]),
    );
    const ts = String(Date.now());
    const res = await fetch(`${base}/webhooks/hubspot`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-hubspot-request-timestamp': ts,
        'x-hubspot-signature-v3': signV3('sandbox-hubspot-client-secret', 'POST', `${base}/webhooks/hubspot`, body, ts),
      },
    });
    expect(res.status).toBe(204);
    expect(await redis.scard(new Keys(prefix).pending({ crm: 'hubspot', id: '62515' }))).toBe(0);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /leadstage_requests_rejected_total\{source="hubspot",reason="tenant_not_active"\} 1/,
    );
  });
});

describe('install on Salesforce', () => {
  it('runs the web-server flow with PKCE and activates the org with its instance URL', async () => {
    const start = await fetch(`${base}/oauth/salesforce/install`, { redirect: 'manual' });
    const to = new URL(start.headers.get('location')!);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    const r = await install('salesforce');
    expect(r.status, r.text).toBe(200);
    expect(await store.stored({ crm: 'salesforce', id: '00D5g000004Sxyz' })).toMatchObject({
      status: 'active',
      instanceUrl: sandbox.url,
    });
  });

  it('refuses an exchange without the PKCE verifier', async () => {
    const start = await fetch(`${base}/oauth/salesforce/install`, { redirect: 'manual' });
    const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    const res = await fetch(`${sandbox.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        client_id: 'sandbox-client',
        client_secret: 'sandbox-client-secret',
        redirect_uri: `${base}/oauth/salesforce/callback`,
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });
});
