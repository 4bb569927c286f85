import { XMLParser } from 'fast-xml-parser';
import { isSalesforceId, KEY_PREFIX } from './salesforce-id.ts';
import type { IngressOp, Tenant } from '../../src/platform/tenant.ts';

/** What an Outbound Messaging `notifications` envelope carries that leadstage uses. */
export interface OutboundMessage {
  organizationId: string;
  actionId: string;
  notifications: { id: string; sObjectType: string; fields: Record<string, string> }[];
  /**
   * Notifications left out, with why: an empty sObject (the record was deleted, or the sending
   * user cannot see it) or ids no record has. Retrying cannot fix them, and failing the whole
   * message would make Salesforce drop the good ones after 24 h of retries.
   */
  skipped: { index: number; id: string | null; reason: string }[];
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false, // ids such as 00Q… and numbers stay strings
  parseAttributeValue: false,
  processEntities: false,
  isArray: (name) => name === 'Notification',
});

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (v && typeof v === 'object' && '#text' in v) return String((v as { '#text': unknown })['#text']).trim();
  return undefined;
}

/** Parse the SOAP body. Entity declarations are refused outright (no XML bombs, no XXE). */
export function parseOutboundMessage(raw: Buffer): ParseResult<OutboundMessage> {
  const xml = raw.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { ok: false, reason: 'DTDs are not accepted' };
  let doc: unknown;
  try {
    doc = parser.parse(xml, true);
  } catch {
    return { ok: false, reason: 'not well-formed XML' };
  }
  const body = (doc as { Envelope?: { Body?: { notifications?: unknown } } })?.Envelope?.Body;
  const n = body?.notifications as Record<string, unknown> | undefined;
  if (!n || typeof n !== 'object') return { ok: false, reason: 'not a SOAP notifications envelope' };
  const organizationId = text(n['OrganizationId']);
  const actionId = text(n['ActionId']) ?? '';
  if (!organizationId || !isSalesforceId(organizationId, [KEY_PREFIX.organization]))
    return { ok: false, reason: 'OrganizationId missing or invalid' };
  const list = (n['Notification'] ?? []) as unknown[];
  if (!Array.isArray(list) || list.length === 0) return { ok: false, reason: 'no Notification elements' };
  if (list.length > 100) return { ok: false, reason: 'more than 100 notifications' };

  const notifications: OutboundMessage['notifications'] = [];
  const skipped: OutboundMessage['skipped'] = [];
  for (const [i, item] of list.entries()) {
    const rec = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>;
    const id = text(rec['Id']);
    const sObject = rec['sObject'] as Record<string, unknown> | undefined;
    if (!id || !isSalesforceId(id)) {
      skipped.push({ index: i, id: null, reason: 'notification Id missing or invalid' });
      continue;
    }
    if (!sObject || typeof sObject !== 'object') {
      skipped.push({ index: i, id, reason: 'empty sObject (record deleted or not visible to the sending user)' });
      continue;
    }
    const type = String(sObject['@_type'] ?? '').replace(/^.*:/, '');
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(sObject)) {
      if (k.startsWith('@_')) continue;
      const t = text(v);
      if (t !== undefined) fields[k] = t;
    }
    if (!fields['Id'] || !isSalesforceId(fields['Id'])) {
      skipped.push({
        index: i,
        id,
        reason: fields['Id']
          ? 'sObject Id is not a Salesforce id'
          : 'empty sObject (record deleted or not visible to the sending user)',
      });
      continue;
    }
    notifications.push({ id, sObjectType: type, fields });
  }
  return { ok: true, value: { organizationId, actionId, notifications, skipped } };
}

/** The SOAP acknowledgement Salesforce expects; it acknowledges the whole message. */
export const SOAP_ACK =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">' +
  '<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>' +
  '</soapenv:Body></soapenv:Envelope>';

function whoType(id: string): 'lead' | 'contact' | null {
  if (isSalesforceId(id, [KEY_PREFIX.lead])) return 'lead';
  if (isSalesforceId(id, [KEY_PREFIX.contact])) return 'contact';
  return null;
}

function epoch(...values: (string | undefined)[]): number | undefined {
  for (const v of values) {
    if (!v) continue;
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  return undefined;
}

/**
 * Notifications → ops. Leads and Contacts are recomputed; completed call and e-mail Tasks and
 * Events become activities of their Lead/Contact (WhoId). Open Tasks (including leadstage's own
 * follow-ups) are not engagement and are ignored, as are changes made by our integration user.
 */
export function normalizeOutboundMessage(msg: OutboundMessage, opts: { integrationUserId?: string }): IngressOp[] {
  const tenant: Tenant = { crm: 'salesforce', id: msg.organizationId.slice(0, 15) };
  const ops: IngressOp[] = [];
  for (const n of msg.notifications) {
    const deliveryKey = `salesforce:${tenant.id}:${n.id}`;
    const f = n.fields;
    if (opts.integrationUserId && f['LastModifiedById']?.slice(0, 15) === opts.integrationUserId.slice(0, 15)) continue;
    if (n.sObjectType === 'Lead' || n.sObjectType === 'Contact') {
      const objectType = n.sObjectType === 'Lead' ? 'lead' : 'contact';
      // A Lead's Id starts 00Q, a Contact's 003: anything else is not the record it claims to be.
      if (whoType(f['Id']!) === objectType)
        ops.push({ kind: 'touch', deliveryKey, contact: { tenant, objectType, id: f['Id']! } });
      continue;
    }
    const who = f['WhoId'];
    const objectType = who ? whoType(who) : null;
    if (!who || !objectType) continue;
    let type: string | undefined;
    if (n.sObjectType === 'Task') {
      const done = f['IsClosed'] === 'true' || f['Status'] === 'Completed';
      if (done && f['TaskSubtype'] === 'Call') type = 'call_logged';
      else if (done && f['TaskSubtype'] === 'Email') type = 'sales_email';
    } else if (n.sObjectType === 'Event') {
      type = 'meeting_booked';
    }
    const at = epoch(f['CompletedDateTime'], f['CreatedDate'], f['LastModifiedDate']);
    if (!type || at === undefined) continue;
    ops.push({
      kind: 'activity',
      deliveryKey,
      contact: { tenant, objectType, id: who },
      activity: {
        id: `salesforce:${n.sObjectType.toLowerCase()}:${f['Id']}`,
        type,
        at,
        attributes: { source: n.sObjectType },
      },
    });
  }
  return ops;
}
