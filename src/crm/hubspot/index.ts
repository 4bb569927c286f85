import { mappingFor } from '../../core/crm-mapping.ts';
import type { CrmModule } from '../../platform/crm-module.ts';
import type { TenantRecord } from '../../platform/tenant-directory.ts';
import { TenantRateLimiter } from '../../store/rate-limiter.ts';
import { HubSpotAdapter } from './hubspot-adapter.ts';

/** HubSpot contacts, one portal per tenant. */
export const hubspotCrm: CrmModule = {
  kind: 'hubspot',
  objectTypes: ['contact'],
  connector(ctx) {
    const { env } = ctx;
    const limiter = new TenantRateLimiter(ctx.redis, ctx.keys, {
      max: env.HUBSPOT_REQUESTS_PER_WINDOW, windowMs: env.HUBSPOT_WINDOW_MS, maxInlineWaitMs: ctx.maxInlineWaitMs,
    });
    const portFor = (record: TenantRecord): HubSpotAdapter => {
      const token = record.credentials['accessToken'];
      return new HubSpotAdapter({
        config: record.config, limiter, retries: env.HUBSPOT_RETRIES, timeoutMs: env.CRM_TIMEOUT_MS,
        accessToken: async () => {
          if (!token) throw new Error(`no HubSpot access token for portal ${record.tenant.id}`);
          return token;
        },
        ...(env.HUBSPOT_API_BASE_URL ? { basePath: env.HUBSPOT_API_BASE_URL } : {}),
      });
    };
    return { portFor, checkSchema: (record) => portFor(record).checkVocabulary(record.tenant) };
  },
  /** Properties leadstage alone writes in HubSpot: a change to one is always our own echo. */
  ownProperties(config) {
    const w = mappingFor(config, { crm: 'hubspot', objectType: 'contact' })?.write;
    return [w?.score, w?.fitGrade, w?.reasons, w?.scoredAt].filter((p): p is string => Boolean(p));
  },
  singleAccount(env) {
    if (!env.HUBSPOT_ACCESS_TOKEN) return null;
    // Without HUBSPOT_PORTAL_ID the token serves whichever portal a webhook names (its own).
    return { accountIds: env.HUBSPOT_PORTAL_ID ? [env.HUBSPOT_PORTAL_ID] : 'any', credentials: { accessToken: env.HUBSPOT_ACCESS_TOKEN } };
  },
};
