import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { LeadstageConfig } from '../core/model.ts';
import type { Env } from '../platform/env.ts';
import type { Keys } from '../platform/keys.ts';
import type { Logger } from '../platform/logger.ts';
import { parseKeyList, SecretBox } from '../platform/secret-box.ts';
import type { TenantDirectory, TenantRecord } from '../platform/tenant-directory.ts';
import { tenantKey, type Tenant } from '../platform/tenant.ts';
import { TenantStore } from '../store/tenant-store.ts';
import { CRMS } from './crm-registry.ts';
import { staticTenantDirectory } from './static-tenant-directory.ts';
import { TenantConfigs } from './tenant-configs.ts';

/** The SecretBox from LEADSTAGE_ENCRYPTION_KEY (+ retired keys), or null when no key is set. */
export function secretBoxFromEnv(env: Env): SecretBox | null {
  if (!env.LEADSTAGE_ENCRYPTION_KEY) return null;
  return new SecretBox(
    { id: env.LEADSTAGE_ENCRYPTION_KEY_ID, key: Buffer.from(env.LEADSTAGE_ENCRYPTION_KEY, 'base64') },
    parseKeyList(env.LEADSTAGE_ENCRYPTION_OLD_KEYS),
  );
}

/** A key for signing OAuth states, derived from the encryption key (never the key itself). */
export function stateSecret(env: Pick<Env, 'LEADSTAGE_ENCRYPTION_KEY'>): Buffer | null {
  return env.LEADSTAGE_ENCRYPTION_KEY
    ? createHash('sha256').update('leadstage oauth state\0').update(env.LEADSTAGE_ENCRYPTION_KEY).digest()
    : null;
}

/**
 * The tenants a process serves: the single-account ones from the environment, then the installed
 * ones in Redis (when an encryption key is set). Each tenant's config is its own file, validated
 * like the main one when first used, or the default.
 */
export interface Tenants {
  directory: TenantDirectory;
  /** Installed tenants (the connected app); null without an encryption key. */
  store: TenantStore | null;
  /**
   * Resolve a tenant config file (validated on first use, re-read when it changes: a valid change
   * is used for new work, an invalid one is logged and the last good one kept); undefined: the default.
   */
  configFor: (file: string | undefined) => LeadstageConfig;
  /**
   * Whether ingress queues this tenant's events. Connected app: installed and active, or one of the
   * accounts the environment names (HUBSPOT_PORTAL_ID, SALESFORCE_ORG_IDS). Single-account mode
   * without an encryption key: every account (the token serves whichever portal a webhook names).
   */
  isServed?: (tenant: Tenant) => Promise<boolean>;
  /** Installed (any status) or named by the environment. */
  isKnown: (tenant: Tenant) => Promise<boolean>;
}

export function createTenants(
  env: Env,
  configOf: LeadstageConfig | (() => LeadstageConfig),
  redis: Redis,
  keys: Keys,
  log?: Logger,
): Tenants {
  const config = typeof configOf === 'function' ? configOf : () => configOf;
  const box = secretBoxFromEnv(env);
  const configs = new TenantConfigs(log ? { log } : {});
  const configFor = (file: string | undefined) => (file ? configs.resolve(file).config : config());
  const configVersionFor = (file: string) => configs.resolve(file).version;
  const onUnlisted = (t: Tenant, err: Error) =>
    log?.error(
      { tenant: tenantKey(t), err: err.message.split('\n')[0] },
      'tenant config file cannot be used; tenant skipped',
    );
  const store = box ? new TenantStore(redis, keys, box, { configFor, configVersionFor, onUnlisted }) : null;
  const single = staticTenantDirectory(env, config, CRMS);
  const directory: TenantDirectory = {
    async get(tenant) {
      // An installed tenant wins over the single-account one (whose token may serve "any" portal).
      return (store ? await store.get(tenant) : null) ?? single.get(tenant);
    },
    async list() {
      const byKey = new Map<string, TenantRecord>();
      for (const r of [...(store ? await store.list() : []), ...(await single.list())])
        byKey.set(tenantKey(r.tenant), r);
      return [...byKey.values()];
    },
  };
  const named = (t: Tenant) =>
    (t.crm === 'hubspot' && env.HUBSPOT_PORTAL_ID === t.id) ||
    (t.crm === 'salesforce' && env.salesforceOrgIds.includes(t.id.slice(0, 15)));
  return {
    directory,
    store,
    configFor,
    ...(store ? { isServed: async (t: Tenant) => named(t) || (await store.stored(t))?.status === 'active' } : {}),
    isKnown: async (t) => named(t) || (store ? (await store.stored(t)) !== null : false),
  };
}
