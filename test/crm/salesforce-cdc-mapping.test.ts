import { describe, expect, it } from 'vitest';
import { mapChangeEvent, type ChangeEventHeader } from '../../src/crm/salesforce/salesforce-cdc-mapping.ts';

// Header shapes from the Change Data Capture Developer Guide, "ChangeEventHeader Fields"
// https://developer.salesforce.com/docs/atlas.en-us.change_data_capture.meta/change_data_capture/cdc_event_fields_header.htm
// and "Change Event Message Structure" (the payload a Pub/Sub API client decodes):
// https://developer.salesforce.com/docs/atlas.en-us.change_data_capture.meta/change_data_capture/cdc_message_structure.htm
// The documented example, as the Pub/Sub client prints it (pub-sub-api-node-client README):
//   "ChangeEventHeader": { "entityName": "Account", "recordIds": ["0014H00002LbR7QQAV"], "changeType": "UPDATE",
//     "changeOrigin": "com/salesforce/api/soap/58.0;client=SfdcInternalAPI/",
//     "transactionKey": "000046c7-a642-11e2-c29b-229c6786473e", "sequenceNumber": 1,
//     "commitTimestamp": 1696444513000, "commitNumber": 11657372702432, "commitUser": "00558000000yFyDAAU",
//     "nulledFields": [], "diffFields": [], "changedFields": ["LastModifiedDate", "BillingAddress.City", "BillingAddress.State"] }
// Overflow events (cdc_other_events_overflow.htm): changeType GAP_OVERFLOW, recordIds ["000000000000000AAA"].

const tenant = { crm: 'salesforce', id: '00D5g000004Sxyz' };
const LEAD = '00Q5g00000AbCdEFGH';
const LEAD2 = '00Q5g00000AbCdEXYZ';
const CONTACT = '0035g00000QrStUVWX';
const rules = {
  ownFields: ['Lead_Score__c', 'Fit_Grade__c', 'Score_Reasons__c', 'Last_Scored_At__c'],
  integrationUserId: '0055g00000IntgUSER',
};

function header(over: Partial<ChangeEventHeader>): ChangeEventHeader {
  return {
    entityName: 'Lead',
    recordIds: [LEAD],
    changeType: 'UPDATE',
    changeOrigin: 'com/salesforce/api/soap/58.0;client=SfdcInternalAPI/',
    transactionKey: '000046c7-a642-11e2-c29b-229c6786473e',
    sequenceNumber: 1,
    commitTimestamp: 1696444513000,
    commitUser: '00558000000yFyDAAU',
    changedFields: ['LastModifiedDate', 'Status'],
    ...over,
  };
}
const key = (id: string, seq = 1) => `salesforce-cdc:${tenant.id}:000046c7-a642-11e2-c29b-229c6786473e:${seq}:${id}`;
const lead = (id = LEAD) => ({ tenant, objectType: 'lead', id });

describe('change event → ingress ops', () => {
  const cases: { name: string; h: Partial<ChangeEventHeader>; expected: ReturnType<typeof mapChangeEvent> }[] = [
    {
      name: 'a Lead update by a user → touch',
      h: {},
      expected: { kind: 'ops', badIds: [], ops: [{ kind: 'touch', deliveryKey: key(LEAD), contact: lead() }] },
    },
    {
      name: 'a Lead created → touch',
      h: { changeType: 'CREATE', changedFields: [] },
      expected: { kind: 'ops', badIds: [], ops: [{ kind: 'touch', deliveryKey: key(LEAD), contact: lead() }] },
    },
    {
      name: 'a Contact update → touch of the contact',
      h: { entityName: 'Contact', recordIds: [CONTACT], changedFields: ['Title'] },
      expected: {
        kind: 'ops',
        badIds: [],
        ops: [{ kind: 'touch', deliveryKey: key(CONTACT), contact: { tenant, objectType: 'contact', id: CONTACT } }],
      },
    },
    {
      name: 'one event for two records (merged same change) → one op each, own delivery key',
      h: { recordIds: [LEAD, LEAD2], sequenceNumber: 3 },
      expected: {
        kind: 'ops',
        badIds: [],
        ops: [
          { kind: 'touch', deliveryKey: key(LEAD, 3), contact: lead() },
          { kind: 'touch', deliveryKey: key(LEAD2, 3), contact: lead(LEAD2) },
        ],
      },
    },
    {
      name: 'DELETE → erase (not a privacy deletion)',
      h: { changeType: 'DELETE', changedFields: [] },
      expected: {
        kind: 'ops',
        badIds: [],
        ops: [{ kind: 'erase', deliveryKey: key(LEAD), contact: lead(), privacy: false }],
      },
    },
    {
      name: 'UNDELETE → touch that restores',
      h: { changeType: 'UNDELETE', changedFields: [] },
      expected: {
        kind: 'ops',
        badIds: [],
        ops: [{ kind: 'touch', deliveryKey: key(LEAD), contact: lead(), restore: true }],
      },
    },
    {
      name: 'GAP_UPDATE (ids, no data) → recompute',
      h: { changeType: 'GAP_UPDATE', changedFields: [] },
      expected: { kind: 'ops', badIds: [], ops: [{ kind: 'touch', deliveryKey: key(LEAD), contact: lead() }] },
    },
    {
      name: 'GAP_CREATE → recompute',
      h: { changeType: 'GAP_CREATE', changedFields: [] },
      expected: { kind: 'ops', badIds: [], ops: [{ kind: 'touch', deliveryKey: key(LEAD), contact: lead() }] },
    },
    {
      name: 'GAP_DELETE → erase',
      h: { changeType: 'GAP_DELETE' },
      expected: {
        kind: 'ops',
        badIds: [],
        ops: [{ kind: 'erase', deliveryKey: key(LEAD), contact: lead(), privacy: false }],
      },
    },
    {
      name: 'GAP_UNDELETE → restore',
      h: { changeType: 'GAP_UNDELETE' },
      expected: {
        kind: 'ops',
        badIds: [],
        ops: [{ kind: 'touch', deliveryKey: key(LEAD), contact: lead(), restore: true }],
      },
    },
    {
      name: 'a gap event by the integration user is still recomputed (no data to judge it by)',
      h: { changeType: 'GAP_UPDATE', commitUser: rules.integrationUserId },
      expected: { kind: 'ops', badIds: [], ops: [{ kind: 'touch', deliveryKey: key(LEAD), contact: lead() }] },
    },
    {
      name: 'GAP_OVERFLOW → overflow (no record ids)',
      h: { changeType: 'GAP_OVERFLOW', recordIds: ['000000000000000AAA'], changedFields: [] },
      expected: { kind: 'overflow' },
    },
    {
      name: 'echo: only our fields and LastModifiedDate changed',
      h: { changedFields: ['LastModifiedDate', 'Lead_Score__c', 'Fit_Grade__c'] },
      expected: { kind: 'ignored', reason: 'echo' },
    },
    {
      name: 'echo: field names compare case-insensitively, SystemModstamp included',
      h: { changedFields: ['lead_score__c', 'SystemModstamp'] },
      expected: { kind: 'ignored', reason: 'echo' },
    },
    {
      name: 'not an echo: our field and a user field changed together',
      h: { changedFields: ['LastModifiedDate', 'Lead_Score__c', 'Status'] },
      expected: { kind: 'ops', badIds: [], ops: [{ kind: 'touch', deliveryKey: key(LEAD), contact: lead() }] },
    },
    {
      name: 'an UPDATE naming no field is not taken for an echo',
      h: { changedFields: [] },
      expected: { kind: 'ops', badIds: [], ops: [{ kind: 'touch', deliveryKey: key(LEAD), contact: lead() }] },
    },
    {
      name: "our integration user's update (15-char match) → ignored",
      h: { commitUser: '0055g00000IntgU', changedFields: ['Status'] },
      expected: { kind: 'ignored', reason: 'own_user' },
    },
    {
      name: 'a delete by our integration user is still erased',
      h: { changeType: 'DELETE', commitUser: rules.integrationUserId },
      expected: {
        kind: 'ops',
        badIds: [],
        ops: [{ kind: 'erase', deliveryKey: key(LEAD), contact: lead(), privacy: false }],
      },
    },
    {
      name: 'another object (Account) → ignored',
      h: { entityName: 'Account', recordIds: ['0014H00002LbR7QQAV'] },
      expected: { kind: 'ignored', reason: 'entity' },
    },
    {
      name: 'SNAPSHOT (reserved) → ignored',
      h: { changeType: 'SNAPSHOT' },
      expected: { kind: 'ignored', reason: 'change_type' },
    },
    {
      name: 'a wildcard record id (lossy field type conversion) → no ids',
      h: { recordIds: ['00Q*'] },
      expected: { kind: 'ignored', reason: 'no_ids' },
    },
    {
      name: 'an id of another object inside a Lead event is skipped and reported',
      h: { recordIds: [LEAD, CONTACT] },
      expected: { kind: 'ops', badIds: [CONTACT], ops: [{ kind: 'touch', deliveryKey: key(LEAD), contact: lead() }] },
    },
    {
      name: 'no transaction key → the replay id keys the delivery',
      h: { transactionKey: '' },
      expected: {
        kind: 'ops',
        badIds: [],
        ops: [{ kind: 'touch', deliveryKey: `salesforce-cdc:${tenant.id}:r18098167:${LEAD}`, contact: lead() }],
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(mapChangeEvent(tenant, header(c.h), '18098167', rules)).toEqual(c.expected);
    });
  }

  it('a replayed event (same transaction, sequence, record) gets the same delivery key; another sequence does not', () => {
    const a = mapChangeEvent(tenant, header({}), '100', rules);
    const again = mapChangeEvent(tenant, header({}), '205', rules);
    const next = mapChangeEvent(tenant, header({ sequenceNumber: 2 }), '100', rules);
    const k = (m: ReturnType<typeof mapChangeEvent>) => (m.kind === 'ops' ? m.ops[0]!.deliveryKey : null);
    expect(k(again)).toBe(k(a));
    expect(k(next)).not.toBe(k(a));
  });

  it("without an integration user configured, that user's changes are not dropped", () => {
    const m = mapChangeEvent(tenant, header({ commitUser: rules.integrationUserId }), '1', {
      ownFields: rules.ownFields,
    });
    expect(m.kind).toBe('ops');
  });
});
