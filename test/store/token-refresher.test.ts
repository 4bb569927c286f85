import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrmAuthError } from '../../src/platform/crm-errors.ts';
import { Keys } from '../../src/platform/keys.ts';
import type { CredentialStore, OAuthProvider, RefreshResult } from '../../src/platform/oauth.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { TokenRefresher } from '../../src/store/token-refresher.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

let redis: Redis;
const prefix = `lstr${randomBytes(3).toString('hex')}`;
const keys = new Keys(prefix);
const tenant = { crm: 'hubspot', id: '62515' };
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

class MemoryCredentials implements CredentialStore {
  creds: Record<string, string>;
  status: string | null = null;
  constructor(c: Record<string, string>) {
    this.creds = c;
  }
  async current() {
    return { ...this.creds };
  }
  async update(_t: unknown, patch: Record<string, string>) {
    this.creds = { ...this.creds, ...patch };
  }
  async setStatus(_t: unknown, status: string) {
    this.status = status;
  }
}

function provider(answer: () => RefreshResult, delayMs = 50): OAuthProvider & { refreshes: number } {
  const p = {
    pkce: false,
    refreshes: 0,
    authorizeUrl: () => '',
    exchange: async () => {
      throw new Error('not used');
    },
    refresh: async () => {
      p.refreshes += 1;
      await new Promise((r) => setTimeout(r, delayMs));
      return answer();
    },
  };
  return p;
}

describe('TokenRefresher', () => {
  it('uses the token until 5 minutes before expiry, then refreshes once for ten concurrent workers', async () => {
    const now = Date.now();
    const store = new MemoryCredentials({
      accessToken: 'old',
      refreshToken: 'r1',
      expiresAt: String(now + 20 * 60_000),
    });
    const oauth = provider(() => ({
      ok: true,
      credentials: { accessToken: 'new', refreshToken: 'r1', expiresAt: String(Date.now() + 30 * 60_000) },
    }));
    const refresher = () => new TokenRefresher(redis, keys, store, oauth);
    expect(await refresher().accessToken(tenant, store.creds)).toBe('old');
    store.creds['expiresAt'] = String(now + 2 * 60_000); // inside the 5-minute margin
    const tokens = await Promise.all(Array.from({ length: 10 }, () => refresher().accessToken(tenant, store.creds)));
    expect(new Set(tokens)).toEqual(new Set(['new']));
    expect(oauth.refreshes).toBe(1);
  });

  it('a revoked refresh token marks the tenant uninstalled and fails with an auth error, once', async () => {
    const store = new MemoryCredentials({
      accessToken: 'old',
      refreshToken: 'gone',
      expiresAt: String(Date.now() - 1),
    });
    const oauth = provider(() => ({
      ok: false,
      status: 'uninstalled',
      reason: 'HubSpot: refresh token revoked (BAD_REFRESH_TOKEN)',
    }));
    await expect(new TokenRefresher(redis, keys, store, oauth).accessToken(tenant, store.creds)).rejects.toBeInstanceOf(
      CrmAuthError,
    );
    expect(store.status).toBe('uninstalled');
    expect(oauth.refreshes).toBe(1);
  });
});
