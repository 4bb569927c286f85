import { mappingFor } from '../../core/crm-mapping.ts';
import type { CrmModule } from '../../platform/crm-module.ts';
import type { TenantRecord } from '../../platform/tenant-directory.ts';
import type { Env } from '../../platform/env.ts';
import { TenantRateLimiter } from '../../store/rate-limiter.ts';
import { TokenRefresher } from '../../store/token-refresher.ts';
import { HubSpotAdapter } from './hubspot-adapter.ts';
import { hubspotOAuth } from './hubspot-oauth.ts';
import { checkHubSpotSetup, setupHubSpot } from './hubspot-setup.ts';

const API = 'https://api.hubapi.com';
const oauthFor = (env: Env) =>
  env.HUBSPOT_CLIENT_ID && env.HUBSPOT_CLIENT_SECRET
    ? hubspotOAuth({
        clientId: env.HUBSPOT_CLIENT_ID,
        clientSecret: env.HUBSPOT_CLIENT_SECRET,
        authBaseUrl: env.HUBSPOT_AUTH_BASE_URL,
        apiBaseUrl: env.HUBSPOT_API_BASE_URL ?? API,
      })
    : null;

/**
 * HubSpot's documented limit per installed account and 10 s, by app type and tier (crm-facts:
 * "HubSpot limits by app type"): OAuth apps 110; private apps and service keys 100 on Free and
 * Starter, 190 on Professional and Enterprise. Unknown: 100, the safe side (headers correct it).
 */
export function hubspotDefaultLimit(tier: string | undefined): number {
  const [appType = '', plan = ''] = (tier ?? '').split(':');
  if (appType === 'oauth') return 110;
  return plan === 'professional' || plan === 'enterprise' ? 190 : 100;
}

/** HubSpot contacts, one portal per tenant. */
export const hubspotCrm: CrmModule = {
  kind: 'hubspot',
  objectTypes: ['contact'],
  connector(ctx) {
    const { env } = ctx;
    const limiter = new TenantRateLimiter(ctx.redis, ctx.keys, {
      max: env.HUBSPOT_REQUESTS_PER_WINDOW ?? 110,
      windowMs: env.HUBSPOT_WINDOW_MS,
      maxInlineWaitMs: ctx.maxInlineWaitMs,
      ...(ctx.priority ? { priority: ctx.priority } : {}), // a rescore's calls yield to live work
    });
    // Daily caps reset at midnight in the account's zone: from the tenant record, else asked once.
    const zones = new Map<string, Promise<string | undefined>>();
    // OAuth tenants: access tokens (30 minutes) refreshed ahead of expiry, once across all workers.
    const oauth = oauthFor(env);
    const refresher = oauth && ctx.credentials ? new TokenRefresher(ctx.redis, ctx.keys, ctx.credentials, oauth) : null;
    const portFor = (record: TenantRecord): HubSpotAdapter => {
      const token = record.credentials['accessToken'];
      const adapter: HubSpotAdapter = new HubSpotAdapter({
        config: record.config,
        limiter,
        retries: env.HUBSPOT_RETRIES,
        timeoutMs: env.CRM_TIMEOUT_MS,
        // What the portal announced last time (kept on its record) beats the tier's default.
        limit: record.limit ?? {
          max: env.HUBSPOT_REQUESTS_PER_WINDOW ?? hubspotDefaultLimit(record.tier),
          windowMs: env.HUBSPOT_WINDOW_MS,
        },
        ...(ctx.tenantFacts ? { onLimit: (t, l) => ctx.tenantFacts!.recordLimit(t, l).catch(() => undefined) } : {}),
        timezone: async (t) => {
          if (record.timezone) return record.timezone;
          let zone = zones.get(t.id);
          if (!zone)
            zones.set(
              t.id,
              (zone = adapter.accountDetails(t).then(
                (d) => d.timeZone,
                () => undefined,
              )),
            );
          return zone;
        },
        accessToken: async (t) => {
          if (refresher && record.credentials['expiresAt']) return refresher.accessToken(t, record.credentials);
          if (!token) throw new Error(`no HubSpot access token for portal ${record.tenant.id}`);
          return token;
        },
        ...(env.HUBSPOT_API_BASE_URL ? { basePath: env.HUBSPOT_API_BASE_URL } : {}),
      });
      return adapter;
    };
    return {
      portFor,
      checkSchema: (record) => portFor(record).checkVocabulary(record.tenant),
      async setup(record) {
        const client = await portFor(record).sdk(record.tenant);
        return {
          done: await setupHubSpot(client, record.config),
          problems: await checkHubSpotSetup(client, record.config),
        };
      },
    };
  },
  /** Properties leadstage alone writes in HubSpot: a change to one is always our own echo. */
  ownProperties(config) {
    const w = mappingFor(config, { crm: 'hubspot', objectType: 'contact' })?.write;
    return [w?.score, w?.fitGrade, w?.reasons, w?.scoredAt].filter((p): p is string => Boolean(p));
  },
  oauth: oauthFor,
  singleAccount(env) {
    if (!env.HUBSPOT_ACCESS_TOKEN) return null;
    // Without HUBSPOT_PORTAL_ID the token serves whichever portal a webhook names (its own).
    return {
      accountIds: env.HUBSPOT_PORTAL_ID ? [env.HUBSPOT_PORTAL_ID] : 'any',
      credentials: { accessToken: env.HUBSPOT_ACCESS_TOKEN },
      tier: `${env.HUBSPOT_APP_TYPE}:${env.HUBSPOT_ACCOUNT_TIER ?? 'unknown'}`,
      ...(env.HUBSPOT_ACCOUNT_TIMEZONE ? { timezone: env.HUBSPOT_ACCOUNT_TIMEZONE } : {}),
    };
  },
};
