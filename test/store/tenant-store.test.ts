import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SecretBox } from '../../src/platform/secret-box.ts';
import { TenantStore } from '../../src/store/tenant-store.ts';
import { defaultConfig, makeConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

let redis: Redis;
const prefix = `lsts${randomBytes(3).toString('hex')}`;
const keys = new Keys(prefix);
const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const other = makeConfig();
const configFor = (file: string | undefined) => (file === 'other.yaml' ? other : defaultConfig());
const portal = { crm: 'hubspot', id: '62515' };

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await deleteByPrefix(redis, prefix);
  await deleteByPrefix(redis, `${prefix}x`);
  await redis.quit();
});

describe('TenantStore', () => {
  it('stores a tenant with sealed credentials: nothing readable in Redis, everything back through the store', async () => {
    const store = new TenantStore(redis, keys, new SecretBox(k1), { configFor });
    await store.put({
      tenant: portal,
      status: 'active',
      credentials: { accessToken: 'at-secret-1', refreshToken: 'rt-secret-1' },
      timezone: 'US/Eastern',
      tier: 'oauth:professional',
      configFile: 'other.yaml',
    });
    const raw = JSON.stringify(await redis.hgetall(keys.tenantRecord(portal)));
    expect(raw).not.toContain('secret-1');
    const r = await store.get(portal);
    expect(r).toMatchObject({
      tenant: portal,
      status: 'active',
      credentials: { accessToken: 'at-secret-1', refreshToken: 'rt-secret-1' },
      timezone: 'US/Eastern',
      tier: 'oauth:professional',
    });
    expect(r!.config).toBe(other);
    expect((await store.list()).map((x) => x.tenant)).toEqual([portal]);
  });

  it('pauses with a reason, updates credentials, and re-seals under a rotated key', async () => {
    const store = new TenantStore(redis, keys, new SecretBox(k1), { configFor });
    expect(await store.setStatus(portal, 'paused', 'refresh failed: invalid_grant')).toBe(true);
    expect(await store.stored(portal)).toMatchObject({
      status: 'paused',
      statusReason: 'refresh failed: invalid_grant',
    });
    await store.updateCredentials(portal, { accessToken: 'at-secret-2' });
    const rotated = new TenantStore(redis, keys, new SecretBox(k2, [k1]), { configFor });
    expect(await rotated.reseal()).toBe(1);
    expect((await redis.hget(keys.tenantRecord(portal), 'credentials'))!.split('.')[1]).toBe('k2');
    expect((await new TenantStore(redis, keys, new SecretBox(k2), { configFor }).get(portal))!.credentials).toEqual({
      accessToken: 'at-secret-2',
      refreshToken: 'rt-secret-1',
    });
  });

  it("keeps an operator's config file and the learned limit across a re-install, and lists around a tenant whose file is gone", async () => {
    const skipped: string[] = [];
    const strict = (file: string | undefined) => {
      if (file === 'deleted.yaml') throw new Error('tenant config deleted.yaml: cannot read it (ENOENT)');
      return configFor(file);
    };
    const own = new Keys(`${prefix}x`); // its own directory: the other tests rotate keys
    const store = new TenantStore(redis, own, new SecretBox(k1), {
      configFor: strict,
      configVersionFor: (f) => `v-${f}`,
      onUnlisted: (t) => skipped.push(t.id),
    });
    const a = { crm: 'hubspot', id: '70001' };
    const b = { crm: 'hubspot', id: '70002' };
    await store.put({ tenant: a, status: 'active', credentials: { accessToken: 'x' } });
    expect(await store.setConfigFile(a, 'other.yaml')).toBe(true);
    await store.recordLimit(a, { max: 190, windowMs: 10_000 });
    await store.put({ tenant: a, status: 'installing', credentials: { accessToken: 'y' }, tier: 'oauth:unknown' });
    expect(await store.get(a)).toMatchObject({
      configVersion: 'v-other.yaml',
      limit: { max: 190, windowMs: 10_000 },
      credentials: { accessToken: 'y' },
    });
    expect((await store.get(a))!.config).toBe(other);

    await store.put({ tenant: b, status: 'active', credentials: { accessToken: 'z' }, configFile: 'deleted.yaml' });
    await expect(store.get(b)).rejects.toThrow(/deleted\.yaml/);
    expect((await store.list()).map((r) => r.tenant.id)).toEqual(['70001']);
    expect(skipped).toEqual(['70002']);
    expect(await store.setConfigFile({ crm: 'hubspot', id: '1' }, 'other.yaml')).toBe(false);
    await store.erase(a);
    await store.erase(b);
  });

  it('erases a tenant and all its keys', async () => {
    const store = new TenantStore(redis, keys, new SecretBox(k2), { configFor });
    await redis.sadd(keys.pending(portal), 'contact:1');
    await store.erase(portal);
    expect(await redis.keys(`${keys.tenantRoot(portal)}*`)).toEqual([]);
    expect(await store.list()).toEqual([]);
  });
});
