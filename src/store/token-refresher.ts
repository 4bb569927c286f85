import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CrmAuthError, CrmTransientError } from '../platform/crm-errors.ts';
import type { Keys } from '../platform/keys.ts';
import type { CredentialStore, OAuthProvider } from '../platform/oauth.ts';
import type { Tenant } from '../platform/tenant.ts';

export interface TokenRefresherOptions {
  /** Refresh this long before the access token expires (HubSpot's live 30 minutes). */
  aheadMs?: number;
  now?: () => number;
  /** How long a worker waits for another worker's refresh before trying itself. */
  waitMs?: number;
}

/**
 * Access tokens refreshed ahead of their expiry, once per tenant however many workers ask: the
 * first takes a Redis lock and refreshes, the others wait for the new token to appear in the
 * directory. Never on every 401. A refresh refused for good marks the tenant (HubSpot's
 * BAD_REFRESH_TOKEN → uninstalled; Salesforce's invalid_grant → paused) instead of retrying.
 */
export class TokenRefresher {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly store: CredentialStore;
  private readonly oauth: OAuthProvider;
  private readonly opts: Required<TokenRefresherOptions>;

  constructor(
    redis: Redis,
    keys: Keys,
    store: CredentialStore,
    oauth: OAuthProvider,
    opts: TokenRefresherOptions = {},
  ) {
    this.redis = redis;
    this.keys = keys;
    this.store = store;
    this.oauth = oauth;
    this.opts = { aheadMs: opts.aheadMs ?? 5 * 60_000, now: opts.now ?? Date.now, waitMs: opts.waitMs ?? 10_000 };
  }

  /** A usable access token for the tenant; `fallback`: the credentials its record was built with. */
  async accessToken(tenant: Tenant, fallback: Readonly<Record<string, string>>): Promise<string> {
    const deadline = this.opts.now() + this.opts.waitMs;
    for (;;) {
      const c = (await this.store.current(tenant)) ?? fallback;
      const expiresAt = Number(c['expiresAt']);
      const now = this.opts.now();
      if (!c['expiresAt'] || expiresAt - now > this.opts.aheadMs) return c['accessToken']!;
      const token = randomUUID();
      if (await this.redis.set(this.keys.refreshLock(tenant), token, 'PX', 30_000, 'NX')) {
        try {
          return await this.refresh(tenant, c, expiresAt > now);
        } finally {
          if ((await this.redis.get(this.keys.refreshLock(tenant))) === token)
            await this.redis.del(this.keys.refreshLock(tenant));
        }
      }
      // Another worker is refreshing: its new token will show up in the directory.
      if (this.opts.now() > deadline) {
        if (expiresAt > now) return c['accessToken']!;
        throw new CrmTransientError(`access token of ${tenant.crm}:${tenant.id} is being refreshed elsewhere; retry`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async refresh(tenant: Tenant, c: Readonly<Record<string, string>>, stillValid: boolean): Promise<string> {
    const r = await this.oauth.refresh(c);
    if (r.ok) {
      await this.store.update(tenant, r.credentials);
      return r.credentials['accessToken']!;
    }
    if (r.status) {
      await this.store.setStatus(tenant, r.status, r.reason);
      throw new CrmAuthError(r.reason);
    }
    // A transient failure of the token endpoint: the current token still works for a while.
    if (stillValid) return c['accessToken']!;
    throw new CrmTransientError(r.reason);
  }
}
