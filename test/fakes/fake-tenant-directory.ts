import type { TenantDirectory, TenantRecord } from '../../src/platform/tenant-directory.ts';
import { tenantKey, type Tenant } from '../../src/platform/tenant.ts';

/** A directory tests fill by hand. */
export class FakeTenantDirectory implements TenantDirectory {
  readonly records = new Map<string, TenantRecord>();
  put(record: TenantRecord): void {
    this.records.set(tenantKey(record.tenant), record);
  }
  async get(tenant: Tenant): Promise<TenantRecord | null> {
    return this.records.get(tenantKey(tenant)) ?? null;
  }
  async list(): Promise<TenantRecord[]> {
    return [...this.records.values()];
  }
}
