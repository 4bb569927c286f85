import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeOutboundMessage, parseOutboundMessage } from '../../webhooks/salesforce/salesforce-normalize.ts';

const XML = readFileSync(new URL('../fixtures/salesforce-outbound.xml', import.meta.url));
const tenant = { crm: 'salesforce', id: '00D5g000004Sxyz' } as const;

describe('parseOutboundMessage', () => {
  it('reads the organization, action and every notification', () => {
    const r = parseOutboundMessage(XML);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.organizationId).toBe('00D5g000004SxyzEAC');
    expect(r.value.actionId).toBe('04k5g000000KzAbAAK');
    expect(r.value.notifications.map((n) => [n.id, n.sObjectType])).toEqual([
      ['04l5g00000ABCD1AAA', 'Lead'],
      ['04l5g00000ABCD2AAA', 'Task'],
      ['04l5g00000ABCD3AAA', 'Task'],
      ['04l5g00000ABCD4AAA', 'Event'],
      ['04l5g00000ABCD5AAA', 'Contact'],
    ]);
    expect(r.value.notifications[0]!.fields).toMatchObject({ Id: '00Q5g00000LeadAAAA', NumberOfEmployees: '250' });
  });

  it.each([
    ['not XML', '{"a":1}', 'not well-formed XML'],
    ['XML that is not an envelope', '<a><b>1</b></a>', 'not a SOAP notifications envelope'],
    ['broken XML', '<soapenv:Envelope><soapenv:Body><notifications>', 'not'],
    [
      'a DTD (entity expansion)',
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
      'DTDs are not accepted',
    ],
    [
      'no organization',
      XML.toString().replace(/<OrganizationId>.*<\/OrganizationId>/, ''),
      'OrganizationId missing or invalid',
    ],
    [
      'no notifications',
      XML.toString().replace(/<Notification>[\s\S]*<\/Notification>/, ''),
      'no Notification elements',
    ],
  ])('rejects %s', (_, body, reason) => {
    const r = parseOutboundMessage(Buffer.from(body));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });
});

// Outbound Messaging guide: "If the record is deleted before the notification is delivered, the
// notification contains no data." (developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_understanding.htm)
describe('notifications that cannot be processed are skipped, the rest kept', () => {
  const first = /<Notification>[\s\S]*?<\/Notification>/;
  it.each([
    [
      'an empty sObject (record deleted)',
      (x: string) =>
        x.replace(
          /(<Notification>\s*<Id>[^<]+<\/Id>)\s*<sObject[\s\S]*?<\/sObject>/,
          '$1<sObject xsi:type="sf:Lead"/>',
        ),
      'empty sObject',
    ],
    [
      'no sObject at all',
      (x: string) => x.replace(/(<Notification>\s*<Id>[^<]+<\/Id>)\s*<sObject[\s\S]*?<\/sObject>/, '$1'),
      'empty sObject',
    ],
    ['an sObject without its Id', (x: string) => x.replace('<sf:Id>00Q5g00000LeadAAAA</sf:Id>', ''), 'empty sObject'],
    [
      'a malformed notification Id',
      (x: string) => x.replace(first, (n) => n.replace(/<Id>[^<]+<\/Id>/, '<Id>bad-id</Id>')),
      'notification Id missing or invalid',
    ],
  ])('%s', (_, edit, reason) => {
    const r = parseOutboundMessage(Buffer.from(edit(XML.toString())));
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.skipped).toEqual([expect.objectContaining({ index: 0, reason: expect.stringContaining(reason) })]);
    expect(r.value.notifications).toHaveLength(4);
  });

  it('a malformed WhoId ("00Qbad-id") makes no op, the other notifications still do', () => {
    const r = parseOutboundMessage(
      Buffer.from(XML.toString().replace('<sf:WhoId>00Q5g00000LeadAAAA</sf:WhoId>', '<sf:WhoId>00Qbad-id</sf:WhoId>')),
    );
    if (!r.ok) throw new Error(r.reason);
    const base = parseOutboundMessage(XML);
    if (!base.ok) throw new Error(base.reason);
    const ops = normalizeOutboundMessage(r.value, {});
    expect(ops).toHaveLength(normalizeOutboundMessage(base.value, {}).length - 1);
    expect(JSON.stringify(ops)).not.toContain('00Qbad-id');
  });
});

describe('normalizeOutboundMessage', () => {
  const msg = (() => {
    const r = parseOutboundMessage(XML);
    if (!r.ok) throw new Error(r.reason);
    return r.value;
  })();

  it('recomputes Leads and Contacts, turns completed calls and meetings into activities, ignores open tasks', () => {
    const ops = normalizeOutboundMessage(msg, {});
    expect(ops).toEqual([
      {
        kind: 'touch',
        deliveryKey: 'salesforce:00D5g000004Sxyz:04l5g00000ABCD1AAA',
        contact: { tenant, objectType: 'lead', id: '00Q5g00000LeadAAAA' },
      },
      {
        kind: 'activity',
        deliveryKey: 'salesforce:00D5g000004Sxyz:04l5g00000ABCD2AAA',
        contact: { tenant, objectType: 'lead', id: '00Q5g00000LeadAAAA' },
        activity: {
          id: 'salesforce:task:00T5g00000CallAAAA',
          type: 'call_logged',
          at: Date.parse('2026-11-23T14:10:00.000Z'),
          attributes: { source: 'Task' },
        },
      },
      {
        kind: 'activity',
        deliveryKey: 'salesforce:00D5g000004Sxyz:04l5g00000ABCD4AAA',
        contact: { tenant, objectType: 'contact', id: '0035g00000CntcAAAA' },
        activity: {
          id: 'salesforce:event:00U5g00000MeetAAAA',
          type: 'meeting_booked',
          at: Date.parse('2026-11-23T15:00:00.000Z'),
          attributes: { source: 'Event' },
        },
      },
      {
        kind: 'touch',
        deliveryKey: 'salesforce:00D5g000004Sxyz:04l5g00000ABCD5AAA',
        contact: { tenant, objectType: 'contact', id: '0035g00000EchoAAAA' },
      },
    ]);
  });

  it("skips changes made by leadstage's integration user (echoes of our writes)", () => {
    const ops = normalizeOutboundMessage(msg, { integrationUserId: '0055g00000IntgAAAA' });
    expect(ops.map((o) => o.deliveryKey)).not.toContain('salesforce:00D5g000004Sxyz:04l5g00000ABCD5AAA');
    expect(ops).toHaveLength(3);
  });
});
