import type { CrmConnector, CrmConnectorContext, CrmModule } from '../platform/crm-module.ts';
import type { CrmOwner, CrmPort } from '../platform/crm-port.ts';
import type { TenantDirectory, TenantRecord } from '../platform/tenant-directory.ts';
import { tenantKey, type Tenant } from '../platform/tenant.ts';

const OWNERS_TTL_MS = 5 * 60_000;

/** A tenant the worker can serve: its record and a fresh port (one per job, for its call count). */
export interface ServedTenant {
  record: TenantRecord;
  crm: CrmPort;
}

export interface CrmProvider {
  /** A CRM's connector (built on first use), e.g. to run its setup on a fresh install. */
  connector(kind: string): CrmConnector | undefined;
  /** null when the directory does not serve this tenant (unknown, not active, CRM not configured). */
  serve(tenant: Tenant): Promise<ServedTenant | null>;
  /** Owners of the tenant's CRM; listed once per tenant every five minutes, not per batch. */
  owners(tenant: Tenant, crm: CrmPort): Promise<CrmOwner[]>;
  /**
   * Every problem of every listed tenant's CRM schema against its config (checked at start). A
   * CRM that cannot be asked right now (rate limited, down, credentials refused) is reported
   * through `onUnchecked`, not as a problem: it says nothing about the config.
   */
  checkSchemas(onUnchecked?: (tenant: Tenant, err: Error) => void): Promise<string[]>;
}

/** Tenant → CRM port, through the directory and the registry's connectors. */
export function createCrmProvider(
  directory: TenantDirectory,
  crms: readonly CrmModule[],
  ctx: CrmConnectorContext,
): CrmProvider {
  const connectors = new Map<string, CrmConnector>();
  const connector = (kind: string) => {
    let c = connectors.get(kind);
    const module = crms.find((m) => m.kind === kind);
    if (!c && module) connectors.set(kind, (c = module.connector(ctx)));
    return c;
  };
  const ownerCache = new Map<string, { at: number; owners: Promise<CrmOwner[]> }>();
  return {
    connector,
    async serve(tenant) {
      const record = await directory.get(tenant);
      if (!record || record.status !== 'active' || !record.config.crm[tenant.crm]) return null;
      const c = connector(tenant.crm);
      return c ? { record, crm: c.portFor(record) } : null;
    },
    owners(tenant, crm) {
      const k = tenantKey(tenant);
      const hit = ownerCache.get(k);
      const now = ctx.clock.now().getTime();
      if (hit && now - hit.at < OWNERS_TTL_MS) return hit.owners;
      const owners = crm.listOwners(tenant);
      ownerCache.set(k, { at: now, owners });
      owners.catch(() => ownerCache.delete(k));
      return owners;
    },
    async checkSchemas(onUnchecked) {
      const problems: string[] = [];
      for (const record of await directory.list()) {
        if (record.status !== 'active' || !record.config.crm[record.tenant.crm]) continue;
        const check = connector(record.tenant.crm)?.checkSchema;
        if (!check) continue;
        try {
          problems.push(...(await check(record)).map((p) => `${tenantKey(record.tenant)}: ${p}`));
        } catch (err) {
          onUnchecked?.(record.tenant, err as Error);
        }
      }
      return problems;
    },
  };
}
