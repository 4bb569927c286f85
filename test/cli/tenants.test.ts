import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { SecretBox } from '../../src/platform/secret-box.ts';
import { TenantStore } from '../../src/store/tenant-store.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
let redis: Redis;
const prefix = `lsct${randomBytes(3).toString('hex')}`;
const keys = new Keys(prefix);
const k1 = randomBytes(32);
const k2 = randomBytes(32);
let env: Record<string, string> = {
  REDIS_URL,
  LEADSTAGE_REDIS_PREFIX: prefix,
  LEADSTAGE_ENCRYPTION_KEY: k1.toString('base64'),
  LEADSTAGE_CONFIG: `${ROOT}config/leadstage.yaml`,
};

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  await new TenantStore(redis, keys, new SecretBox({ id: 'k1', key: k1 }), { configFor: () => defaultConfig() }).put({
    tenant: { crm: 'hubspot', id: '62515' },
    status: 'active',
    credentials: { accessToken: 'at-very-secret', refreshToken: 'rt-very-secret' },
  });
});
const dir = mkdtempSync(join(tmpdir(), 'ls-cli-tenants-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    readFile: () => '',
  });
  return { code, stdout, stderr };
}

describe('leadstage tenants / keys / connect', () => {
  it('lists and shows tenants without ever printing a token', async () => {
    const list = await cli('tenants', 'list');
    expect(list.stdout).toMatch(/^hubspot:62515\s+active/);
    const show = await cli('tenants', 'show', 'hubspot:62515');
    expect(JSON.parse(show.stdout)).toMatchObject({
      tenant: 'hubspot:62515',
      status: 'active',
      credentials: 'accessToken, refreshToken',
    });
    expect(list.stdout + show.stdout).not.toContain('very-secret');
  });

  it('pauses and resumes', async () => {
    expect((await cli('tenants', 'pause', 'hubspot:62515')).stdout).toBe('hubspot:62515: paused\n');
    expect((await cli('tenants', 'list')).stdout).toMatch(/paused\s+paused by an operator/);
    expect((await cli('tenants', 'resume', 'hubspot:62515')).stdout).toBe('hubspot:62515: active\n');
  });

  it('gives a tenant its own config file only when it is valid, shows it with its version, and goes back to the default', async () => {
    const shipped = readFileSync(`${ROOT}config/leadstage.yaml`, 'utf8');
    writeFileSync(join(dir, 'own.yaml'), shipped.replace(/halfLifeDays: \d+/, 'halfLifeDays: 14'));
    writeFileSync(join(dir, 'broken.yaml'), shipped.replace(/halfLifeDays: \d+/, 'halfLifeDays: nope'));
    const refused = await cli('tenants', 'config', 'hubspot:62515', join(dir, 'broken.yaml'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^${join(dir, 'broken.yaml')}: invalid config for hubspot:62515, nothing stored: .*broken\\.yaml:\\d+ engagement\\.halfLifeDays`,
      ),
    );
    expect(await redis.hget(keys.tenantRecord({ crm: 'hubspot', id: '62515' }), 'configFile')).toBeNull();

    const set = await cli('tenants', 'config', 'hubspot:62515', join(dir, 'own.yaml'));
    expect(set.code, set.stderr).toBe(0);
    const version = /version ([0-9a-f]{12})/.exec(set.stdout)![1];
    expect(JSON.parse((await cli('tenants', 'show', 'hubspot:62515')).stdout)).toMatchObject({
      configFile: join(dir, 'own.yaml'),
      configVersion: version,
    });

    expect((await cli('tenants', 'config', 'hubspot:62515', '--default')).stdout).toBe(
      'hubspot:62515: the default config from now on (new work)\n',
    );
    expect(JSON.parse((await cli('tenants', 'show', 'hubspot:62515')).stdout)).toMatchObject({ configFile: 'default' });
    expect((await cli('tenants', 'config', 'hubspot:62515')).code).toBe(2);
    expect((await cli('tenants', 'config', 'hubspot:62515', 'x.yaml', '--default')).code).toBe(2);
  });

  it('rotates the key: re-seals under the new one, which alone then opens them', async () => {
    env = {
      ...env,
      LEADSTAGE_ENCRYPTION_KEY: k2.toString('base64'),
      LEADSTAGE_ENCRYPTION_KEY_ID: 'k2',
      LEADSTAGE_ENCRYPTION_OLD_KEYS: `k1:${k1.toString('base64')}`,
    };
    expect((await cli('keys', 'rotate')).stdout).toBe('re-sealed the credentials of 1 tenant(s) with key "k2"\n');
    const { LEADSTAGE_ENCRYPTION_OLD_KEYS: _, ...withoutOld } = env;
    env = withoutOld;
    expect(JSON.parse((await cli('tenants', 'show', 'hubspot:62515')).stdout).status).toBe('active');
  });

  it('prints the install URL, and removes a tenant with its data', async () => {
    env = { ...env, PUBLIC_BASE_URL: 'https://leadstage.example.com/' };
    expect((await cli('connect', 'salesforce', '--sandbox')).stdout).toBe(
      'https://leadstage.example.com/oauth/salesforce/install?env=sandbox\n',
    );
    expect((await cli('tenants', 'remove', 'hubspot:62515')).code).toBe(0);
    expect((await cli('tenants', 'list')).stdout).toBe('no installed tenants\n');
  });
});
