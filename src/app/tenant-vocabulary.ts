import { BUILT_IN_ACTIVITY_TYPES } from '../core/activity-types.ts';
import type { LeadstageConfig } from '../core/model.ts';
import type { TenantDirectory } from '../platform/tenant-directory.ts';
import { tenantKey, type Tenant } from '../platform/tenant.ts';
import type { TenantVocabulary } from '../../webhooks/shared/ingress-context.ts';

export interface TenantVocabularyOptions {
  directory: TenantDirectory;
  /** A source's own properties under a config (the CRM module's `ownProperties`). */
  ownPropertiesOf: (source: string, config: LeadstageConfig) => readonly string[];
  /** How long a tenant's vocabulary is reused before its record is read again (default 30 s). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * A tenant's vocabulary from its own config (installed tenants may have their own file), cached
 * for a short while so ingress reads the directory once per tenant and interval, not per event.
 * Null for a tenant the directory does not know (ingress then uses the default config's).
 */
export function tenantVocabulary(opts: TenantVocabularyOptions): (tenant: Tenant) => Promise<TenantVocabulary | null> {
  const ttl = opts.ttlMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; value: Promise<TenantVocabulary | null> }>();
  const build = async (tenant: Tenant): Promise<TenantVocabulary | null> => {
    const record = await opts.directory.get(tenant);
    if (!record) return null;
    const config = record.config;
    const own = new Map<string, ReadonlySet<string>>();
    return {
      activityTypes: new Set([...BUILT_IN_ACTIVITY_TYPES, ...config.engagement.customActivityTypes]),
      ownProperties: (source) => {
        let set = own.get(source);
        if (!set) own.set(source, (set = new Set(opts.ownPropertiesOf(source, config))));
        return set;
      },
    };
  };
  return (tenant) => {
    const key = tenantKey(tenant);
    const hit = cache.get(key);
    if (hit && now() - hit.at < ttl) return hit.value;
    // A failed read is not cached: the next event tries again.
    const value = build(tenant).catch((err: unknown) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, { at: now(), value });
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!); // bounded: oldest first
    return value;
  };
}
