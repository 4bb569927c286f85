import { Connection } from 'jsforce';
import type { Redis } from 'ioredis';
import type { Tenant } from '../../ingest/ops.ts';
import type { Env } from '../../server/env.ts';
import type { Logger } from '../../server/logger.ts';

/**
 * One jsforce connection per org, built from the environment. jsforce refreshes the access token
 * on a 401 when it has the OAuth client; the new token is persisted in Redis (never logged), so
 * a restarted worker starts with it instead of an expired one.
 */
export function salesforceConnections(env: Env, redis: Redis, prefix: string, log: Logger): (tenant: Tenant) => Promise<Connection> {
  const connections = new Map<string, Promise<Connection>>();
  const tokenKey = (org: string) => `${prefix}:salesforce:access-token:${org}`;
  return (tenant) => {
    let c = connections.get(tenant.id);
    if (!c) {
      c = (async () => {
        const stored = await redis.get(tokenKey(tenant.id)).catch(() => null);
        const conn = new Connection({
          instanceUrl: env.SALESFORCE_INSTANCE_URL!,
          accessToken: stored ?? env.SALESFORCE_ACCESS_TOKEN!,
          version: env.SALESFORCE_API_VERSION,
          ...(env.SALESFORCE_REFRESH_TOKEN ? { refreshToken: env.SALESFORCE_REFRESH_TOKEN } : {}),
          ...(env.SALESFORCE_CLIENT_ID && env.SALESFORCE_CLIENT_SECRET
            ? { oauth2: { clientId: env.SALESFORCE_CLIENT_ID, clientSecret: env.SALESFORCE_CLIENT_SECRET, loginUrl: env.SALESFORCE_LOGIN_URL, redirectUri: `${env.SALESFORCE_LOGIN_URL}/services/oauth2/success` } }
            : {}),
        });
        conn.on('refresh', (accessToken: string) => {
          log.info({ org: tenant.id }, 'salesforce access token refreshed');
          // Access tokens live for the org's session timeout (2 h by default).
          redis.set(tokenKey(tenant.id), accessToken, 'EX', 2 * 3_600).catch((err: Error) => log.warn({ err: err.message }, 'could not persist the refreshed token'));
        });
        return conn;
      })();
      connections.set(tenant.id, c);
    }
    return c;
  };
}
