import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hubspotCrm } from '../../src/crm/hubspot/index.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { Keys } from '../../src/platform/keys.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SecretBox } from '../../src/platform/secret-box.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { TenantRateLimiter } from '../../src/store/rate-limiter.ts';
import { TenantStore } from '../../src/store/tenant-store.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// Tier detection for installed portals: HubSpot announces each portal's limit on every answer in
// X-HubSpot-RateLimit-Max and X-HubSpot-RateLimit-Interval-Milliseconds, for OAuth calls too but
// without the Daily ones (https://developers.hubspot.com/changelog/rate-limit-headers-will-now-appear-for-oauth-authenticated-calls;
// https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details). So an OAuth install's plan
// cannot be read from them, but its limit can. An install starts as 'oauth:unknown' (110 per 10 s); what the portal announced is kept
// on its record — written once, when it differs — so a restarted worker starts from it.
let sandbox: SandboxCrm;
let redis: Redis;
let store: TenantStore;
const prefix = `lslim${randomBytes(3).toString('hex')}`;
const keys = new Keys(prefix);
const tenant = { crm: 'hubspot', id: '62515' };

beforeAll(async () => {
  sandbox = new SandboxCrm();
  sandbox.hubspot.rateLimit = { max: 190, windowMs: 10_000 };
  await sandbox.start();
  redis = new Redis(REDIS_URL);
  store = new TenantStore(redis, keys, new SecretBox({ id: 'k1', key: randomBytes(32) }), {
    configFor: () => defaultConfig(),
  });
  await store.put({ tenant, status: 'active', tier: 'oauth:unknown', credentials: { accessToken: 'pat-sandbox' } });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await sandbox.stop();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

function connector() {
  const env = parseEnv(
    { REDIS_URL, LEADSTAGE_REDIS_PREFIX: prefix, HUBSPOT_API_BASE_URL: sandbox.url },
    { web: false },
  );
  if (!env.ok) throw new Error(env.errors.join('\n'));
  return hubspotCrm.connector({
    env: env.env,
    redis,
    keys,
    log: createLogger('silent'),
    clock: systemClock,
    maxInlineWaitMs: 2_000,
    tenantFacts: store,
  });
}

describe("a HubSpot portal's announced rate limit", () => {
  it('is kept on the tenant record once, and a restarted worker starts from it instead of the tier default', async () => {
    const writes = vi.spyOn(store, 'recordLimit');
    const acquire = vi.spyOn(TenantRateLimiter.prototype, 'acquire');
    const first = connector();
    const record = (await store.get(tenant))!;
    expect(record.limit).toBeUndefined();
    await first.portFor(record).listOwners(tenant);
    expect(acquire.mock.calls.at(-1)![1]).toEqual({ max: 110, windowMs: 10_000 }); // oauth:unknown → the OAuth default
    expect((await store.stored(tenant))!.limit).toEqual({ max: 190, windowMs: 10_000 });
    expect(writes).toHaveBeenCalledTimes(1);

    // Later jobs see the stored limit: many calls, no further record writes.
    const port = first.portFor((await store.get(tenant))!);
    for (let i = 0; i < 5; i++) await port.listOwners(tenant);
    expect(writes).toHaveBeenCalledTimes(1);

    // A restart (and the limiter's one-day hint gone): the first call already uses 190.
    await redis.del(keys.quotaLimit(tenant));
    await connector()
      .portFor((await store.get(tenant))!)
      .listOwners(tenant);
    expect(acquire.mock.calls.at(-1)![1]).toEqual({ max: 190, windowMs: 10_000 });

    // The portal's limit changes (an API add-on bought): recorded again, once.
    sandbox.hubspot.rateLimit = { max: 250, windowMs: 10_000 };
    await connector()
      .portFor((await store.get(tenant))!)
      .listOwners(tenant);
    expect((await store.stored(tenant))!.limit).toEqual({ max: 250, windowMs: 10_000 });
    expect(writes).toHaveBeenCalledTimes(2);
  });

  it('survives a re-install of the portal', async () => {
    await store.put({
      tenant,
      status: 'installing',
      tier: 'oauth:unknown',
      credentials: { accessToken: 'pat-sandbox' },
    });
    expect((await store.stored(tenant))!.limit).toEqual({ max: 250, windowMs: 10_000 });
  });
});
