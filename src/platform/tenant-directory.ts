import type { LeadstageConfig } from '../core/model.ts';
import type { Tenant } from './tenant.ts';

/** Where a tenant is in its life: only `active` tenants are served. */
export type TenantStatus = 'installing' | 'active' | 'paused' | 'uninstalled';

/**
 * What leadstage knows of one installed CRM account. `credentials` are the CRM module's own
 * (an access token; a Salesforce refresh token and OAuth client): only the adapter reads them,
 * and they never reach a log line, a metric or an error message.
 */
export interface TenantRecord {
  tenant: Tenant;
  status: TenantStatus;
  credentials: Readonly<Record<string, string>>;
  /** The account's API host, where it has its own (a Salesforce instance URL). */
  instanceUrl?: string;
  /** IANA zone of the account (daily limits reset at its midnight). */
  timezone?: string;
  /** The account's tier or app type, where it sets the rate limit. */
  tier?: string;
  /**
   * The rate limit the CRM announced for this account (HubSpot's X-HubSpot-RateLimit-Max and
   * -Interval-Milliseconds), kept so a restart starts from it rather than from the tier's default.
   */
  limit?: { max: number; windowMs: number };
  /** This tenant's scoring model (its own file, or the default). */
  config: LeadstageConfig;
  /** The version (hash) of the tenant's own config file; absent: the default config's. */
  configVersion?: string;
}

/**
 * The TenantDirectory port: tenant → CRM, status, credentials and config. The single-account
 * mode reads one static tenant per CRM from the environment (src/app/static-tenant-directory.ts);
 * the connected app keeps installed tenants in Redis.
 */
export interface TenantDirectory {
  /** The tenant's record, or null when leadstage does not serve this account. */
  get(tenant: Tenant): Promise<TenantRecord | null>;
  /** Every tenant the directory knows by id (for work that is not triggered by an event). */
  list(): Promise<TenantRecord[]>;
}
