import { Connection } from 'jsforce';
import type { Redis } from 'ioredis';
import type { Keys } from '../../platform/keys.ts';
import type { Logger } from '../../platform/logger.ts';
import type { TenantRecord } from '../../platform/tenant-directory.ts';

/**
 * One jsforce connection per org, built from its tenant record (instance URL, tokens, OAuth
 * client). jsforce refreshes the access token on a 401 when it has the OAuth client; the new token
 * is persisted in Redis (never logged), so a restarted worker starts with it instead of an
 * expired one.
 */
export function salesforceConnections(opts: { redis: Redis; keys: Keys; log: Logger; apiVersion: string }) {
  const connections = new Map<string, Promise<Connection>>();
  return (record: TenantRecord): Promise<Connection> => {
    const { tenant, credentials: c } = record;
    let conn = connections.get(tenant.id);
    if (!conn) {
      conn = (async () => {
        const key = opts.keys.accessToken(tenant);
        const stored = await opts.redis.get(key).catch(() => null);
        const loginUrl = c['loginUrl'] ?? 'https://login.salesforce.com';
        const connection = new Connection({
          instanceUrl: record.instanceUrl!,
          accessToken: stored ?? c['accessToken']!,
          version: opts.apiVersion,
          ...(c['refreshToken'] ? { refreshToken: c['refreshToken'] } : {}),
          ...(c['clientId'] && c['clientSecret']
            ? { oauth2: { clientId: c['clientId'], clientSecret: c['clientSecret'], loginUrl, redirectUri: `${loginUrl}/services/oauth2/success` } }
            : {}),
        });
        connection.on('refresh', (accessToken: string) => {
          opts.log.info({ org: tenant.id }, 'salesforce access token refreshed');
          // Access tokens live for the org's session timeout (2 h by default).
          opts.redis.set(key, accessToken, 'EX', 2 * 3_600)
            .catch((err: Error) => opts.log.warn({ err: err.message }, 'could not persist the refreshed token'));
        });
        return connection;
      })();
      connections.set(tenant.id, conn);
    }
    return conn;
  };
}
