import type { Activity, CrmKind, CrmObjectType, FieldValue } from '../core/types.ts';

/** A CRM account leadstage serves: a HubSpot portal or a Salesforce org. */
export interface Tenant {
  crm: CrmKind;
  /** HubSpot portal id or Salesforce organization id (15 characters). */
  id: string;
}

export interface ContactRef {
  tenant: Tenant;
  objectType: CrmObjectType;
  id: string;
}

/**
 * What one delivered event asks of leadstage, CRM-neutral. Every op carries the delivery key it
 * is deduplicated on. The webhook routers produce these; `ingest` makes them durable.
 */
export type IngressOp =
  /** Something the contact did: store it, then recompute the contact. */
  | { kind: 'activity'; deliveryKey: string; contact: ContactRef; activity: Activity }
  /** The contact changed (created, a property, restored): recompute it. A restore undoes a deletion. */
  | { kind: 'touch'; deliveryKey: string; contact: ContactRef; restore?: boolean }
  /** Contacts merged: move their activities to the survivor, recompute the survivor. */
  | { kind: 'merge'; deliveryKey: string; tenant: Tenant; survivorId: string; mergedIds: string[] }
  /** Contact deleted: erase its activities and cancel its pending work. */
  | { kind: 'erase'; deliveryKey: string; contact: ContactRef; privacy: boolean }
  /** A CRM engagement (call, meeting …) that becomes an activity once its contact is known. */
  | {
      kind: 'engagement';
      deliveryKey: string;
      tenant: Tenant;
      engagementId: string;
      meta?: { type: string; at: number; attributes: Record<string, FieldValue> };
      contactIds?: string[];
    }
  /** An event addressed by e-mail only: kept until a worker resolves the address to contacts. */
  | { kind: 'unresolved'; deliveryKey: string; emailHash: string; email: string; activity: Activity };

export function tenantKey(t: Tenant): string {
  return `${t.crm}:${t.id}`;
}
export type { Activity } from '../core/types.ts';
