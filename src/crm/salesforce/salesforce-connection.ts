import { Connection } from 'jsforce';
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

/** Refresh with the connection's current refresh token; keep and persist whatever comes back. */
async function refreshSession(conn: Connection, opts: ConnectionOptions, record: TenantRecord): Promise<string> {
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
