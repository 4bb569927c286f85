import { tenantKey, type Tenant } from './ops.ts';

/**
 * Redis key names. Per-tenant keys share a hash tag ({hubspot:62515}) so a tenant's keys live in
 * one cluster slot and multi-key scripts stay legal. Keys carry ids only, never e-mails.
 */
export class Keys {
  readonly prefix: string;
  constructor(prefix: string) {
    this.prefix = prefix;
  }
  private t(tenant: Tenant): string {
    return `${this.prefix}:{${tenantKey(tenant)}}`;
  }
  /** HASH activity id → JSON. */
  activities(tenant: Tenant, contactId: string): string {
    return `${this.t(tenant)}:act:${contactId}`;
  }
  /** "deleted" or "privacy": the contact is gone; late events for it are dropped. */
  tombstone(tenant: Tenant, contactId: string): string {
    return `${this.t(tenant)}:gone:${contactId}`;
  }
  /** SET of "objectType:id" awaiting recompute. */
  pending(tenant: Tenant): string {
    return `${this.t(tenant)}:pending`;
  }
  /** HASH for a CRM engagement seen before its contact is known (or the other way round). */
  engagement(tenant: Tenant, engagementId: string): string {
    return `${this.t(tenant)}:eng:${engagementId}`;
  }
  /** Activities addressed by e-mail hash, waiting to be resolved to CRM contacts. */
  unresolved(emailHash: string): string {
    return `${this.prefix}:{email}:unresolved:${emailHash}`;
  }
  unresolvedPending(): string {
    return `${this.prefix}:{email}:pending`;
  }
  /**
   * Delivery ledger entry: "p:<token>" while claimed, "done" once queued. It lives under the same
   * hash tag as the data it guards (a tenant, or "email"), so claim and write are one script.
   */
  delivery(group: string, deliveryKey: string): string {
    return `${this.prefix}:{${group}}:dl:${deliveryKey}`;
  }
}
