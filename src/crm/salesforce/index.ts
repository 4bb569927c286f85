import type { CrmModule } from '../../platform/crm-module.ts';
import { CdcStore } from '../../store/cdc-store.ts';
import { TenantRateLimiter } from '../../store/rate-limiter.ts';
import { SalesforceAdapter } from './salesforce-adapter.ts';
import { salesforceCdcFeed } from './salesforce-cdc-wiring.ts';
import { salesforceConnections } from './salesforce-connection.ts';
import { salesforceOAuth } from './salesforce-oauth.ts';

/** Salesforce Leads and Contacts, one org per tenant. */
export const salesforceCrm: CrmModule = {
  kind: 'salesforce',
  objectTypes: ['lead', 'contact'],
  connector(ctx) {
    const { env } = ctx;
    const connection = salesforceConnections({
      redis: ctx.redis,
      keys: ctx.keys,
      log: ctx.log,
      apiVersion: env.SALESFORCE_API_VERSION,
      ...(ctx.credentials ? { credentials: ctx.credentials } : {}),
    });
    const limiter = new TenantRateLimiter(ctx.redis, ctx.keys, {
      max: env.SALESFORCE_REQUESTS_PER_WINDOW,
      windowMs: env.SALESFORCE_WINDOW_MS,
      maxInlineWaitMs: ctx.maxInlineWaitMs,
      ...(ctx.priority ? { priority: ctx.priority } : {}), // a rescore's calls yield to live work
    });
    const portFor: (r: Parameters<typeof connection>[0]) => SalesforceAdapter = (record) =>
      new SalesforceAdapter({
        config: record.config,
        limiter,
        connection: () => connection(record),
        timeoutMs: env.CRM_TIMEOUT_MS,
      });
    return {
      portFor,
      checkSchema: (record) => portFor(record).validateSchema(record.tenant),
      async setup(record) {
        const problems = await portFor(record).validateSchema(record.tenant);
        return {
          done: problems.length ? [] : ['Lead, Contact and Task fields and picklists match the config'],
          problems,
        };
      },
      changeFeed: (deps) =>
        env.SALESFORCE_CDC === 'on'
          ? salesforceCdcFeed({
              ctx,
              deps,
              store: new CdcStore(ctx.redis, ctx.keys),
              connection,
              ownProperties: (c) => salesforceCrm.ownProperties!(c),
              ...(deps.rejectUnauthorizedSsl === false ? { rejectUnauthorizedSsl: false } : {}),
            })
          : null,
    };
  },
  oauth: (env) =>
    env.SALESFORCE_CLIENT_ID && env.SALESFORCE_CLIENT_SECRET
      ? salesforceOAuth({
          clientId: env.SALESFORCE_CLIENT_ID,
          clientSecret: env.SALESFORCE_CLIENT_SECRET,
          loginUrl: env.SALESFORCE_LOGIN_URL,
        })
      : null,
  ownProperties(config) {
    const w = Object.values(config.crm['salesforce'] ?? {}).flatMap((m) => ('write' in m ? [m.write] : []));
    return w.flatMap((x) => [x.score, x.fitGrade, x.reasons, x.scoredAt]).filter((p): p is string => Boolean(p));
  },
  singleAccount(env) {
    if (!env.SALESFORCE_INSTANCE_URL || !env.SALESFORCE_ACCESS_TOKEN) return null;
    const credentials: Record<string, string> = {
      accessToken: env.SALESFORCE_ACCESS_TOKEN,
      loginUrl: env.SALESFORCE_LOGIN_URL,
    };
    if (env.SALESFORCE_REFRESH_TOKEN) credentials['refreshToken'] = env.SALESFORCE_REFRESH_TOKEN;
    if (env.SALESFORCE_CLIENT_ID) credentials['clientId'] = env.SALESFORCE_CLIENT_ID;
    if (env.SALESFORCE_CLIENT_SECRET) credentials['clientSecret'] = env.SALESFORCE_CLIENT_SECRET;
    const orgs = env.salesforceOrgIds;
    return { accountIds: orgs.length ? orgs : 'any', credentials, instanceUrl: env.SALESFORCE_INSTANCE_URL };
  },
};
