import { randomUUID } from 'node:crypto';
import { Connection } from 'jsforce';
import { CrmTransientError } from '../../platform/crm-errors.ts';
import type { Redis } from 'ioredis';
import type { Keys } from '../../platform/keys.ts';
import type { Logger } from '../../platform/logger.ts';
import type { CredentialStore } from '../../platform/oauth.ts';
import type { TenantRecord } from '../../platform/tenant-directory.ts';

interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  instance_url?: string;
}

/**
 * One jsforce connection per org, built from its tenant record (its own instance URL, tokens,
 * OAuth client). The access token is refreshed on a 401 by our own refresh function rather than
 * jsforce's: orgs whose External Client App rotates refresh tokens answer every refresh with a new
 * refresh token and invalidate the old one, and jsforce keeps using the old one (the second refresh
 * would fail). Both tokens are persisted in Redis (never logged), so a restarted worker starts
 * with the latest ones instead of an expired access token and a dead refresh token.
 */
interface ConnectionOptions {
  redis: Redis;
  keys: Keys;
  log: Logger;
  apiVersion: string;
  /** Installed tenants: refreshed tokens are written back to the directory; invalid_grant pauses the org. */
  credentials?: CredentialStore;
}

export function salesforceConnections(opts: ConnectionOptions) {
  const connections = new Map<string, Promise<Connection>>();
  return (record: TenantRecord): Promise<Connection> => {
    const { tenant, credentials: c } = record;
    let conn = connections.get(tenant.id);
    if (!conn) {
      conn = (async () => {
        const [storedAccess, storedRefresh] = await Promise.all([
          opts.redis.get(opts.keys.accessToken(tenant)).catch(() => null),
          opts.redis.get(opts.keys.refreshToken(tenant)).catch(() => null),
        ]);
        const loginUrl = c['loginUrl'] ?? 'https://login.salesforce.com';
        const refreshToken = storedRefresh ?? c['refreshToken'];
        const canRefresh = Boolean(refreshToken && c['clientId']);
        const connection: Connection = new Connection({
          instanceUrl: record.instanceUrl!,
          accessToken: storedAccess ?? c['accessToken']!,
          version: opts.apiVersion,
          ...(refreshToken ? { refreshToken } : {}),
          ...(c['clientId']
            ? {
                oauth2: {
                  clientId: c['clientId'],
                  ...(c['clientSecret'] ? { clientSecret: c['clientSecret'] } : {}),
                  loginUrl,
                  redirectUri: `${loginUrl}/services/oauth2/success`,
                },
              }
            : {}),
          ...(canRefresh
            ? {
                refreshFn: (
                  cn: Connection,
                  callback: (err: Error | null | undefined, token?: string, res?: never) => void,
                ) => {
                  refreshSession(cn, opts, record).then(
                    (t) => callback(undefined, t),
                    (err: Error) => callback(err),
                  );
                },
              }
            : {}),
        });
        return connection;
      })();
      connections.set(tenant.id, conn);
    }
    return conn;
  };
}

/** How long a worker waits for another worker's refresh of the same org before giving up for now. */
const REFRESH_WAIT_MS = 15_000;

/**
 * Refresh once per org however many worker processes hit the 401 together: with rotating refresh
 * tokens, a second refresh with the same token would fail with invalid_grant and pause a healthy
 * org. The first takes a Redis lock and refreshes; the others wait and adopt the tokens it stores.
 */
async function refreshSession(conn: Connection, opts: ConnectionOptions, record: TenantRecord): Promise<string> {
  const { tenant } = record;
  const failed = conn.accessToken;
  const lock = opts.keys.refreshLock(tenant);
  const me = randomUUID();
  const stored = async () => {
    const [access, refresh] = await opts.redis.mget(opts.keys.accessToken(tenant), opts.keys.refreshToken(tenant));
    return { access, refresh };
  };
  // Someone else refreshed since this connection's token was issued: adopt theirs, no refresh.
  const adopt = (t: { access?: string | null; refresh?: string | null }): string | null => {
    if (!t.access || t.access === failed) return null;
    conn.accessToken = t.access;
    if (t.refresh) conn.refreshToken = t.refresh;
    return t.access;
  };
  const deadline = Date.now() + REFRESH_WAIT_MS;
  while (!(await opts.redis.set(lock, me, 'PX', 30_000, 'NX'))) {
    const theirs = adopt(await stored());
    if (theirs) return theirs;
    if (Date.now() > deadline)
      throw new CrmTransientError(`salesforce ${tenant.id}: a token refresh is under way elsewhere`);
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    const now = await stored();
    const theirs = adopt(now);
    if (theirs) return theirs;
    // The latest refresh token (rotated by another worker since this connection was built).
    if (now.refresh) conn.refreshToken = now.refresh;
    return await refreshWithToken(conn, opts, record);
  } finally {
    if ((await opts.redis.get(lock).catch(() => null)) === me) await opts.redis.del(lock).catch(() => undefined);
  }
}

/** Refresh with the connection's current refresh token; keep and persist whatever comes back. */
async function refreshWithToken(conn: Connection, opts: ConnectionOptions, record: TenantRecord): Promise<string> {
  const { tenant } = record;
  if (!conn.refreshToken) throw new Error('Unable to refresh session: no refresh token');
  let res: TokenResponse;
  try {
    res = (await conn.oauth2.refreshToken(conn.refreshToken)) as unknown as TokenResponse;
  } catch (err) {
    // invalid_grant: the refresh token is revoked or expired — an admin must reconnect the org;
    // pause it with that reason rather than retrying in a loop.
    if (/invalid_grant/.test(String((err as Error).message ?? err))) {
      await opts.credentials
        ?.setStatus(tenant, 'paused', 'Salesforce refused the refresh token (invalid_grant): reconnect the org')
        .catch(() => undefined);
    }
    throw err;
  }
  // Access tokens live for the org's session timeout (2 h by default); refresh tokens until revoked.
  const writes: Promise<unknown>[] = [opts.redis.set(opts.keys.accessToken(tenant), res.access_token, 'EX', 2 * 3_600)];
  if (res.refresh_token && res.refresh_token !== conn.refreshToken) {
    conn.refreshToken = res.refresh_token;
    writes.push(opts.redis.set(opts.keys.refreshToken(tenant), res.refresh_token));
  }
  conn.accessToken = res.access_token;
  if (res.instance_url) conn.instanceUrl = res.instance_url;
  if (opts.credentials)
    writes.push(
      opts.credentials.update(tenant, {
        accessToken: res.access_token,
        ...(res.refresh_token ? { refreshToken: res.refresh_token } : {}),
      }),
    );
  await Promise.all(writes).catch((err: Error) =>
    opts.log.warn({ org: tenant.id, err: err.message }, 'could not persist the refreshed tokens'),
  );
  opts.log.info({ org: tenant.id, rotated: Boolean(res.refresh_token) }, 'salesforce access token refreshed');
  return res.access_token;
}
