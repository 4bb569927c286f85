import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesforceCrm } from '../../src/crm/salesforce/index.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { CrmAuthError } from '../../src/platform/crm-errors.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { Keys } from '../../src/platform/keys.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import type { TenantRecord } from '../../src/platform/tenant-directory.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { loadSeed, readSeed } from '../../src/sandbox/seed.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// Refresh-token rotation (help.salesforce.com "OAuth 2.0 Refresh Token Flow"; External Client App
// refresh-token policy): every refresh returns a new refresh token and invalidates the old one.
// The sandbox rotates and refuses old tokens, so a client that keeps the first one fails here.
let sandbox: SandboxCrm;
let redis: Redis;
const prefix = `lsrot${randomBytes(3).toString('hex')}`;
const keys = new Keys(prefix);
const tenant = { crm: 'salesforce', id: '00D5g000004Sxyz' };

beforeAll(async () => {
  sandbox = new SandboxCrm();
  loadSeed(sandbox, readSeed());
  await sandbox.start();
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await sandbox.stop();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

function record(): TenantRecord {
  return {
    tenant,
    status: 'active',
    config: defaultConfig(),
    instanceUrl: sandbox.url,
    credentials: {
      accessToken: 'sandbox-access-token',
      refreshToken: 'sandbox-refresh-token',
      clientId: 'sandbox-client',
      clientSecret: 'sandbox-client-secret',
      loginUrl: sandbox.url,
    },
  };
}
function connector(credentials?: object) {
  const env = parseEnv({ REDIS_URL, LEADSTAGE_REDIS_PREFIX: prefix }, { web: false });
  if (!env.ok) throw new Error(env.errors.join('\n'));
  return salesforceCrm.connector({
    env: env.env,
    redis,
    keys,
    log: createLogger('silent'),
    clock: systemClock,
    maxInlineWaitMs: 2_000,
    ...(credentials ? { credentials: credentials as never } : {}),
  });
}
const leads = () => [...sandbox.salesforce.records.Lead.keys()].slice(0, 2).map((id) => ({ objectType: 'lead', id }));

describe('Salesforce refresh-token rotation', () => {
  it('refreshes twice in a row, keeping each rotated refresh token, and persists both tokens', async () => {
    const port = connector().portFor(record());
    sandbox.salesforce.expireAccessTokens();
    expect((await port.readContacts(tenant, leads())).size).toBe(2); // first refresh
    const first = sandbox.salesforce.refreshToken;
    expect(first).not.toBe('sandbox-refresh-token');
    sandbox.salesforce.expireAccessTokens();
    expect((await port.readContacts(tenant, leads())).size).toBe(2); // second refresh: needs the rotated token
    expect(sandbox.salesforce.refreshToken).not.toBe(first);
    expect(await redis.get(keys.refreshToken(tenant))).toBe(sandbox.salesforce.refreshToken);
    expect(sandbox.salesforce.tokens.has((await redis.get(keys.accessToken(tenant)))!)).toBe(true);
  });

  it('a restarted worker starts from the persisted tokens, not the ones it was configured with', async () => {
    sandbox.salesforce.expireAccessTokens();
    const port = connector().portFor(record()); // a fresh process: its record still names the first tokens
    expect((await port.readContacts(tenant, leads())).size).toBe(2);
  });

  it('two worker processes hitting the 401 together refresh once: the other adopts the new tokens, the org stays active', async () => {
    const paused: string[] = [];
    const credentials = {
      current: async () => null,
      update: async () => undefined,
      setStatus: async (_t: unknown, status: string) => void paused.push(status),
    };
    const a = connector(credentials).portFor(record());
    const b = connector(credentials).portFor(record()); // another process: its own jsforce connection
    await Promise.all([a.readContacts(tenant, leads()), b.readContacts(tenant, leads())]); // both connected
    sandbox.salesforce.expireAccessTokens();
    const before = sandbox.calls.get('POST /services/oauth2/token') ?? 0;
    const [ra, rb] = await Promise.all([a.readContacts(tenant, leads()), b.readContacts(tenant, leads())]);
    expect([ra.size, rb.size]).toEqual([2, 2]);
    expect((sandbox.calls.get('POST /services/oauth2/token') ?? 0) - before).toBe(1);
    expect(paused).toEqual([]);
    expect(await redis.get(keys.refreshToken(tenant))).toBe(sandbox.salesforce.refreshToken);
  });

  it('a revoked refresh token is an auth failure, not a retry loop', async () => {
    sandbox.salesforce.refreshToken = 'revoked-by-an-admin';
    sandbox.salesforce.expireAccessTokens();
    const port = connector().portFor(record());
    await expect(port.readContacts(tenant, leads())).rejects.toBeInstanceOf(CrmAuthError);
  });
});
