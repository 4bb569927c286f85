import type { LeadstageConfig } from '../core/model.ts';
import type { CrmModule } from '../platform/crm-module.ts';
import type { Env } from '../platform/env.ts';
import type { Tenant } from '../platform/tenant.ts';
import type { TenantDirectory, TenantRecord } from '../platform/tenant-directory.ts';

/**
 * The single-account mode's directory: per CRM, the one account the environment configures, all
 * with the one config file. A CRM without a mapping in the config, or without credentials, has
 * no tenants. Salesforce org ids compare on their case-sensitive 15-character form.
 */
export function staticTenantDirectory(
  env: Env,
  configOf: LeadstageConfig | (() => LeadstageConfig),
  crms: readonly CrmModule[],
): TenantDirectory {
  // A getter: after a config reload, the accounts are served with the new config.
  const current = typeof configOf === 'function' ? configOf : () => configOf;
  const accountsNow = () =>
    crms.flatMap((crm) => {
      const account = current().crm[crm.kind] ? crm.singleAccount?.(env) : null;
      return account ? [{ crm, account }] : [];
    });
  type Account = ReturnType<typeof accountsNow>[number]['account'];
  const record = (crm: CrmModule, id: string, a: Account): TenantRecord => ({
    tenant: { crm: crm.kind, id },
    status: 'active',
    credentials: a.credentials,
    ...(a.instanceUrl ? { instanceUrl: a.instanceUrl } : {}),
    ...(a.tier ? { tier: a.tier } : {}),
    ...(a.timezone ? { timezone: a.timezone } : {}),
    config: current(),
  });
  return {
    async get(tenant: Tenant) {
      const hit = accountsNow().find(({ crm }) => crm.kind === tenant.crm);
      if (!hit) return null;
      const ids = hit.account.accountIds;
      if (ids !== 'any' && !ids.some((id) => id.slice(0, 15) === tenant.id.slice(0, 15))) return null;
      return record(hit.crm, tenant.id, hit.account);
    },
    async list() {
      return accountsNow().flatMap(({ crm, account }) =>
        account.accountIds === 'any' ? [] : account.accountIds.map((id) => record(crm, id, account)),
      );
    },
  };
}
