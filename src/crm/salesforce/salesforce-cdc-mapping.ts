import type { CrmObjectType } from '../../core/types.ts';
import type { IngressOp, Tenant } from '../../platform/tenant.ts';

/**
 * The header every Change Data Capture event carries (the Pub/Sub client has already turned the
 * field bitmaps into names). Docs:
 * https://developer.salesforce.com/docs/atlas.en-us.change_data_capture.meta/change_data_capture/cdc_event_fields_header.htm
 */
export interface ChangeEventHeader {
  entityName: string;
  recordIds: string[];
  /** CREATE, UPDATE, DELETE, UNDELETE; GAP_<type> when Salesforce could not build the event; GAP_OVERFLOW. */
  changeType: string;
  changedFields?: string[];
  changeOrigin?: string;
  transactionKey?: string;
  sequenceNumber?: number;
  commitTimestamp?: number;
  commitUser?: string;
}

/** What tells an event apart as the echo of leadstage's own write. */
export interface EchoRules {
  /** Fields only leadstage writes (the config's crm.salesforce write mapping: score, grade …). */
  ownFields: readonly string[];
  /** leadstage's integration user: its creates and updates are ours. */
  integrationUserId?: string;
}

export type CdcMapping =
  | { kind: 'ops'; ops: IngressOp[]; badIds: string[] }
  /** Nothing to do: our own write, another object, an operation leadstage ignores, no usable id. */
  | { kind: 'ignored'; reason: 'echo' | 'own_user' | 'entity' | 'change_type' | 'no_ids' }
  /** A transaction of more than 100,000 changes: no ids at all, the reconciliation sweep must find them. */
  | { kind: 'overflow' };

const OBJECT: Record<string, { type: CrmObjectType; prefix: string }> = {
  Lead: { type: 'lead', prefix: '00Q' },
  Contact: { type: 'contact', prefix: '003' },
};
/** Fields Salesforce changes along with any write, ours included. */
const SYSTEM_FIELDS = ['lastmodifieddate', 'systemmodstamp', 'lastmodifiedbyid'];
const ID = /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/;

function isOwnWrite(changed: readonly string[], rules: EchoRules): boolean {
  if (changed.length === 0) return false; // nothing named: we cannot tell, so it is not an echo
  const own = new Set([...rules.ownFields.map((f) => f.toLowerCase()), ...SYSTEM_FIELDS]);
  return changed.every((f) => own.has(f.toLowerCase()));
}

/** A delivery key that is the same every time the event is replayed, one per record. */
function deliveryKey(tenant: Tenant, h: ChangeEventHeader, replayId: string, recordId: string): string {
  const tx = (h.transactionKey ?? '').replace(/[^A-Za-z0-9-]/g, '').slice(0, 64);
  const at = tx ? `${tx}:${h.sequenceNumber ?? 0}` : `r${replayId}`;
  return `salesforce-cdc:${tenant.id}:${at}:${recordId}`;
}

/**
 * One change event → the ops the Outbound Message path would make: a create or update of a Lead
 * or Contact marks it for recompute (touch), a delete erases it, an undelete restores it. Gap
 * events carry ids but no field data: the same marks, since recompute reads the record anyway.
 * Echoes of our own writes (only leadstage's fields changed, or our integration user's write) are
 * ignored; deletes never are — a deleted record's data must go whoever deleted it.
 */
export function mapChangeEvent(tenant: Tenant, h: ChangeEventHeader, replayId: string, rules: EchoRules): CdcMapping {
  const object = OBJECT[h.entityName];
  if (!object) return { kind: 'ignored', reason: 'entity' };
  if (h.changeType === 'GAP_OVERFLOW') return { kind: 'overflow' };
  const gap = h.changeType.startsWith('GAP_');
  const type = gap ? h.changeType.slice(4) : h.changeType;
  if (!['CREATE', 'UPDATE', 'DELETE', 'UNDELETE'].includes(type)) return { kind: 'ignored', reason: 'change_type' };
  if (!gap && (type === 'CREATE' || type === 'UPDATE')) {
    const user = rules.integrationUserId;
    if (user && h.commitUser && h.commitUser.slice(0, 15) === user.slice(0, 15))
      return { kind: 'ignored', reason: 'own_user' };
    if (type === 'UPDATE' && isOwnWrite(h.changedFields ?? [], rules)) return { kind: 'ignored', reason: 'echo' };
  }
  const ops: IngressOp[] = [];
  const badIds: string[] = [];
  for (const id of h.recordIds ?? []) {
    // A wildcard ("00Q*", after a lossy field type conversion) or another object's id is not a record we can mark.
    if (!ID.test(id) || !id.startsWith(object.prefix)) {
      badIds.push(id);
      continue;
    }
    const contact = { tenant, objectType: object.type, id };
    const key = deliveryKey(tenant, h, replayId, id);
    if (type === 'DELETE') ops.push({ kind: 'erase', deliveryKey: key, contact, privacy: false });
    else if (type === 'UNDELETE') ops.push({ kind: 'touch', deliveryKey: key, contact, restore: true });
    else ops.push({ kind: 'touch', deliveryKey: key, contact });
  }
  if (ops.length === 0) return { kind: 'ignored', reason: 'no_ids' };
  return { kind: 'ops', ops, badIds };
}
