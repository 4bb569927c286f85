import type { Logger } from '../src/platform/logger.ts';
import { tenantKey } from '../src/platform/tenant.ts';
import type { StoredTenant } from '../src/store/tenant-store.ts';

export interface EraseDeps {
  store: {
    list(): Promise<{ tenant: StoredTenant['tenant'] }[]>;
    stored(t: StoredTenant['tenant']): Promise<(StoredTenant & { uninstalledAt?: string }) | null>;
    erase(t: StoredTenant['tenant']): Promise<void>;
  };
  /** The grace period: an account that reinstalls within it finds its history still there. */
  afterMs: number;
  now: () => Date;
  log: Logger;
}

/** Erase the data of tenants uninstalled longer ago than the grace period. */
export async function eraseUninstalled(deps: EraseDeps): Promise<{ erased: number }> {
  let erased = 0;
  for (const { tenant } of await deps.store.list()) {
    const s = await deps.store.stored(tenant);
    if (s?.status !== 'uninstalled') continue;
    const since = Date.parse(s.uninstalledAt ?? s.updatedAt);
    if (deps.now().getTime() - since < deps.afterMs) continue;
    await deps.store.erase(tenant);
    erased += 1;
    deps.log.info({ tenant: tenantKey(tenant) }, 'uninstalled tenant erased after its grace period');
  }
  return { erased };
}
