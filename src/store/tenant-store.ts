import type { Redis } from 'ioredis';
import type { LeadstageConfig } from '../core/model.ts';
import { Keys } from '../platform/keys.ts';
import type { CredentialStore } from '../platform/oauth.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import type { TenantDirectory, TenantRecord, TenantStatus } from '../platform/tenant-directory.ts';
import { tenantKey, type Tenant } from '../platform/tenant.ts';

/** What an install stores: the record without its resolved config, plus where its config is. */
export interface StoredTenant extends Omit<TenantRecord, 'config' | 'configVersion'> {
  /** A config file of this tenant's own; absent: the default config. */
  configFile?: string;
  installedAt: string;
  updatedAt: string;
  /** Why the status is what it is (e.g. "refresh token revoked"); never a secret. */
  statusReason?: string;
  /** When the tenant was marked uninstalled (its data is erased after a grace period). */
  uninstalledAt?: string;
}

export interface TenantStoreOptions {
  /** Resolves a tenant's config: its own file, or the default when `file` is undefined. */
  configFor: (file: string | undefined) => LeadstageConfig;
  /** The version of a tenant's own config file (recorded with the plans made with it). */
  configVersionFor?: (file: string) => string;
  /** A tenant left out of `list` because its config file cannot be used (its own jobs still fail loudly). */
  onUnlisted?: (tenant: Tenant, err: Error) => void;
  now?: () => Date;
}

/**
 * Installed tenants in Redis: one hash per tenant under its hash tag, credentials sealed with the
 * SecretBox (AES-256-GCM, key id stored), plus an index set. The TenantDirectory the connected
 * app uses; the CLI and the OAuth routes write through it.
 */
export class TenantStore implements TenantDirectory, CredentialStore {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly box: SecretBox;
  private readonly opts: TenantStoreOptions;

  constructor(redis: Redis, keys: Keys, box: SecretBox, opts: TenantStoreOptions) {
    this.redis = redis;
    this.keys = keys;
    this.box = box;
    this.opts = opts;
  }

  private now(): string {
    return (this.opts.now?.() ?? new Date()).toISOString();
  }

  /**
   * Store an install. A re-install (reconnecting a paused org) keeps what an operator chose and
   * what was learned — the config file and the announced rate limit — unless the install names them.
   */
  async put(t: Omit<StoredTenant, 'installedAt' | 'updatedAt'>): Promise<void> {
    const [installedAt, configFile, rateLimit] = await this.redis.hmget(
      this.keys.tenantRecord(t.tenant),
      'installedAt',
      'configFile',
      'rateLimit',
    );
    const at = this.now();
    const fields: Record<string, string> = {
      crm: t.tenant.crm,
      id: t.tenant.id,
      status: t.status,
      credentials: this.box.seal(JSON.stringify(t.credentials)),
      installedAt: installedAt ?? at,
      updatedAt: at,
      ...(configFile ? { configFile } : {}),
      ...(rateLimit ? { rateLimit } : {}),
    };
    for (const k of ['instanceUrl', 'timezone', 'tier', 'configFile', 'statusReason'] as const)
      if (t[k]) fields[k] = t[k]!;
    if (t.limit) fields['rateLimit'] = `${t.limit.max}/${t.limit.windowMs}`;
    await this.redis
      .multi()
      .del(this.keys.tenantRecord(t.tenant))
      .hset(this.keys.tenantRecord(t.tenant), fields)
      .sadd(this.keys.tenantIndex(), tenantKey(t.tenant))
      .exec();
  }

  async stored(tenant: Tenant): Promise<StoredTenant | null> {
    const h = await this.redis.hgetall(this.keys.tenantRecord(tenant));
    if (!h['status']) return null;
    return {
      tenant: { crm: h['crm']!, id: h['id']! },
      status: h['status'] as TenantStatus,
      credentials: JSON.parse(this.box.open(h['credentials']!)) as Record<string, string>,
      installedAt: h['installedAt']!,
      updatedAt: h['updatedAt']!,
      ...(h['instanceUrl'] ? { instanceUrl: h['instanceUrl'] } : {}),
      ...(h['timezone'] ? { timezone: h['timezone'] } : {}),
      ...(h['tier'] ? { tier: h['tier'] } : {}),
      ...(h['configFile'] ? { configFile: h['configFile'] } : {}),
      ...(limitOf(h['rateLimit']) ? { limit: limitOf(h['rateLimit'])! } : {}),
      ...(h['statusReason'] ? { statusReason: h['statusReason'] } : {}),
      ...(h['uninstalledAt'] ? { uninstalledAt: h['uninstalledAt'] } : {}),
    };
  }

  async get(tenant: Tenant): Promise<TenantRecord | null> {
    const s = await this.stored(tenant);
    return s ? this.recordOf(s) : null;
  }

  /** The record with its resolved config; throws when the tenant's config file cannot be used. */
  private recordOf(s: StoredTenant): TenantRecord {
    const { configFile, installedAt: _i, updatedAt: _u, statusReason: _r, uninstalledAt: _x, ...record } = s;
    const version = configFile ? this.opts.configVersionFor?.(configFile) : undefined;
    return { ...record, config: this.opts.configFor(configFile), ...(version ? { configVersion: version } : {}) };
  }

  async list(): Promise<TenantRecord[]> {
    const ids = await this.redis.smembers(this.keys.tenantIndex());
    const stored = await Promise.all(ids.sort().map((k) => this.stored(Keys.tenantOf(k))));
    const out: TenantRecord[] = [];
    for (const s of stored) {
      if (!s) continue;
      // One tenant whose config file was deleted must not take the listing (and worker start) down for all.
      try {
        out.push(this.recordOf(s));
      } catch (err) {
        this.opts.onUnlisted?.(s.tenant, err as Error);
      }
    }
    return out;
  }

  /** Give the tenant its own config file (an absolute path, validated by the caller), or null: the default. */
  async setConfigFile(tenant: Tenant, file: string | null): Promise<boolean> {
    const key = this.keys.tenantRecord(tenant);
    if (!(await this.redis.exists(key))) return false;
    const m = this.redis.multi().hset(key, 'updatedAt', this.now());
    if (file) m.hset(key, 'configFile', file);
    else m.hdel(key, 'configFile');
    await m.exec();
    return true;
  }

  /**
   * The rate limit the CRM announced for the tenant. Written only when it differs from the stored
   * one (callers compare with the record they hold), and never for a tenant that is gone.
   */
  async recordLimit(tenant: Tenant, limit: { max: number; windowMs: number }): Promise<void> {
    const key = this.keys.tenantRecord(tenant);
    if (!(await this.redis.exists(key))) return;
    await this.redis.hset(key, 'rateLimit', `${limit.max}/${limit.windowMs}`, 'updatedAt', this.now());
  }

  async setStatus(tenant: Tenant, status: TenantStatus, reason?: string): Promise<boolean> {
    const key = this.keys.tenantRecord(tenant);
    if (!(await this.redis.exists(key))) return false;
    const m = this.redis.multi().hset(key, 'status', status, 'updatedAt', this.now());
    // An uninstalled tenant's queued work is dropped now; its data goes after the grace period.
    if (status === 'uninstalled')
      m.hset(key, 'uninstalledAt', this.now()).del(this.keys.pending(tenant), this.keys.inflight(tenant));
    if (reason) m.hset(key, 'statusReason', reason);
    else m.hdel(key, 'statusReason');
    await m.exec();
    return true;
  }

  /** The tenant's current credentials (fresh from Redis: another worker may have refreshed them). */
  async current(tenant: Tenant): Promise<Record<string, string> | null> {
    return (await this.stored(tenant))?.credentials ?? null;
  }

  /** Replace some credentials (a refreshed token pair), sealed again with the current key. */
  async updateCredentials(tenant: Tenant, patch: Record<string, string>): Promise<void> {
    const s = await this.stored(tenant);
    if (!s) return;
    await this.redis.hset(
      this.keys.tenantRecord(tenant),
      'credentials',
      this.box.seal(JSON.stringify({ ...s.credentials, ...patch })),
      'updatedAt',
      this.now(),
    );
  }

  update(tenant: Tenant, patch: Record<string, string>): Promise<void> {
    return this.updateCredentials(tenant, patch);
  }

  /** Re-seal every tenant's credentials with the current key; returns how many were re-sealed. */
  async reseal(): Promise<number> {
    let n = 0;
    for (const k of await this.redis.smembers(this.keys.tenantIndex())) {
      const tenant = { crm: k.slice(0, k.indexOf(':')), id: k.slice(k.indexOf(':') + 1) };
      const sealed = await this.redis.hget(this.keys.tenantRecord(tenant), 'credentials');
      if (!sealed || this.box.keyIdOf(sealed) === this.box.currentKeyId) continue;
      await this.redis.hset(this.keys.tenantRecord(tenant), 'credentials', this.box.seal(this.box.open(sealed)));
      n += 1;
    }
    return n;
  }

  /** Erase everything of the tenant: its record, index entry and every key under its hash tag. */
  async erase(tenant: Tenant): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.keys.tenantPattern(tenant), 'COUNT', 1000);
      if (keys.length) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await this.redis.srem(this.keys.tenantIndex(), tenantKey(tenant));
  }
}

/** "max/windowMs" as stored; undefined when absent or malformed. */
function limitOf(text: string | undefined): { max: number; windowMs: number } | undefined {
  const [max, windowMs] = (text ?? '').split('/').map(Number);
  return max! > 0 && windowMs! > 0 ? { max: max!, windowMs: windowMs! } : undefined;
}
