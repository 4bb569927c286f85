import { describe, expect, it } from 'vitest';
import type { IngressOp } from '../../src/platform/tenant.ts';
import {
  hubspotBatchSchema,
  normalizeHubSpotEvent,
  type HubSpotEvent,
} from '../../webhooks/hubspot/hubspot-normalize.ts';

const tenant = { crm: 'hubspot', id: '62515' } as const;
const base = {
  eventId: 1,
  subscriptionId: 12345,
  portalId: 62515,
  occurredAt: 1764000000000,
  attemptNumber: 0,
  appId: 54321,
};
const ev = (over: Record<string, unknown>): HubSpotEvent => hubspotBatchSchema.parse([{ ...base, ...over }])[0]!;
const opts = { ownProperties: new Set(['leadstage_score', 'leadstage_fit_grade']), appId: '54321' };
const key = 'hubspot:62515:12345:1:1764000000000';
const contact = (id: string) => ({ tenant, objectType: 'contact' as const, id });

type Row = [string, Record<string, unknown>, IngressOp[]];

describe('normalizeHubSpotEvent', () => {
  const rows: Row[] = [
    [
      'contact.creation → recompute',
      { subscriptionType: 'contact.creation', objectId: 123 },
      [{ kind: 'touch', deliveryKey: key, contact: contact('123') }],
    ],
    [
      'contact.restore → recompute, undoing the deletion',
      { subscriptionType: 'contact.restore', objectId: 123 },
      [{ kind: 'touch', deliveryKey: key, contact: contact('123'), restore: true }],
    ],
    [
      'contact.propertyChange → recompute',
      { subscriptionType: 'contact.propertyChange', objectId: 123, propertyName: 'jobtitle', propertyValue: 'VP' },
      [{ kind: 'touch', deliveryKey: key, contact: contact('123') }],
    ],
    [
      'a change of a property only leadstage writes is our echo',
      {
        subscriptionType: 'contact.propertyChange',
        objectId: 123,
        propertyName: 'leadstage_score',
        propertyValue: '80',
      },
      [],
    ],
    [
      'a change made by our app is our echo',
      {
        subscriptionType: 'contact.propertyChange',
        objectId: 123,
        propertyName: 'lifecyclestage',
        propertyValue: 'marketingqualifiedlead',
        changeSource: 'INTEGRATION',
        sourceId: '54321',
      },
      [],
    ],
    [
      'a change by another integration is not',
      {
        subscriptionType: 'contact.propertyChange',
        objectId: 123,
        propertyName: 'lifecyclestage',
        propertyValue: 'customer',
        changeSource: 'INTEGRATION',
        sourceId: '999',
      },
      [{ kind: 'touch', deliveryKey: key, contact: contact('123') }],
    ],
    [
      'last e-mail open date → an email_open activity at that time',
      {
        subscriptionType: 'contact.propertyChange',
        objectId: 123,
        propertyName: 'hs_email_last_open_date',
        propertyValue: '1763990000000',
      },
      [
        {
          kind: 'activity',
          deliveryKey: key,
          contact: contact('123'),
          activity: {
            id: 'hubspot:hs_email_last_open_date:1763990000000',
            type: 'email_open',
            at: 1763990000000,
            attributes: { source: 'hs_email_last_open_date' },
          },
        },
      ],
    ],
    [
      'recent conversion date (ISO) → a form_submission',
      {
        subscriptionType: 'contact.propertyChange',
        objectId: 123,
        propertyName: 'recent_conversion_date',
        propertyValue: '2026-11-23T14:00:00Z',
      },
      [
        {
          kind: 'activity',
          deliveryKey: key,
          contact: contact('123'),
          activity: {
            id: `hubspot:recent_conversion_date:${Date.parse('2026-11-23T14:00:00Z')}`,
            type: 'form_submission',
            at: Date.parse('2026-11-23T14:00:00Z'),
            attributes: { source: 'recent_conversion_date' },
          },
        },
      ],
    ],
    [
      'contact.deletion → erase',
      { subscriptionType: 'contact.deletion', objectId: 123 },
      [{ kind: 'erase', deliveryKey: key, contact: contact('123'), privacy: false }],
    ],
    [
      'contact.privacyDeletion → erase for privacy',
      { subscriptionType: 'contact.privacyDeletion', objectId: 123 },
      [{ kind: 'erase', deliveryKey: key, contact: contact('123'), privacy: true }],
    ],
    [
      'contact.merge → move to the primary',
      { subscriptionType: 'contact.merge', objectId: 10, primaryObjectId: 10, mergedObjectIds: [11, 12] },
      [{ kind: 'merge', deliveryKey: key, tenant, survivorId: '10', mergedIds: ['11', '12'] }],
    ],
    [
      'contact.merge into a new object moves the primary too',
      { subscriptionType: 'contact.merge', objectId: 10, primaryObjectId: 10, mergedObjectIds: [11], newObjectId: 20 },
      [{ kind: 'merge', deliveryKey: key, tenant, survivorId: '20', mergedIds: ['11', '10'] }],
    ],
    [
      'generic object.creation of a call → engagement meta',
      { subscriptionType: 'object.creation', objectTypeId: '0-48', objectId: 777 },
      [
        {
          kind: 'engagement',
          deliveryKey: key,
          tenant,
          engagementId: '0-48:777',
          meta: { type: 'call_logged', at: 1764000000000, attributes: { objectTypeId: '0-48' } },
        },
      ],
    ],
    // Generic association events carry no objectTypeId: routed on their from/to types.
    ...(['0-48', '0-49', '0-47', '0-18'] as const).flatMap((type): Row[] => [
      [
        `generic association ${type} → contact`,
        {
          subscriptionType: 'object.associationChange',
          fromObjectTypeId: type,
          toObjectTypeId: '0-1',
          fromObjectId: 777,
          toObjectId: 123,
          associationRemoved: false,
        },
        [{ kind: 'engagement', deliveryKey: key, tenant, engagementId: `${type}:777`, contactIds: ['123'] }],
      ],
      [
        `generic association contact → ${type}`,
        {
          subscriptionType: 'object.associationChange',
          fromObjectTypeId: '0-1',
          toObjectTypeId: type,
          fromObjectId: 123,
          toObjectId: 777,
          associationRemoved: false,
        },
        [{ kind: 'engagement', deliveryKey: key, tenant, engagementId: `${type}:777`, contactIds: ['123'] }],
      ],
    ]),
    [
      'contact.associationChange (contact ↔ company) asks nothing',
      {
        subscriptionType: 'contact.associationChange',
        associationType: 'CONTACT_TO_COMPANY',
        fromObjectId: 123,
        toObjectId: 55,
        associationRemoved: false,
      },
      [],
    ],
    [
      'generic association contact → company asks nothing',
      {
        subscriptionType: 'object.associationChange',
        fromObjectTypeId: '0-1',
        toObjectTypeId: '0-2',
        fromObjectId: 123,
        toObjectId: 55,
        associationRemoved: false,
      },
      [],
    ],
    [
      'a removed association is ignored',
      {
        subscriptionType: 'object.associationChange',
        fromObjectTypeId: '0-48',
        toObjectTypeId: '0-1',
        fromObjectId: 777,
        toObjectId: 123,
        associationRemoved: true,
      },
      [],
    ],
    [
      'notes and tasks are not engagement signals',
      { subscriptionType: 'object.creation', objectTypeId: '0-27', objectId: 5 },
      [],
    ],
    ['company events are ignored', { subscriptionType: 'company.creation', objectId: 5 }, []],
    [
      'generic contact events work like legacy ones',
      { subscriptionType: 'object.creation', objectTypeId: '0-1', objectId: 123 },
      [{ kind: 'touch', deliveryKey: key, contact: contact('123') }],
    ],
  ];
  it.each(rows)('%s', (_, over, expected) => {
    expect(normalizeHubSpotEvent(ev(over), opts)).toEqual(expected);
  });

  it('keys deliveries on portal, subscription, event id and time (eventId alone is not unique)', () => {
    const a = normalizeHubSpotEvent(ev({ subscriptionType: 'contact.creation', objectId: 1 }), opts)[0]!;
    const b = normalizeHubSpotEvent(
      ev({ subscriptionType: 'contact.creation', objectId: 1, occurredAt: 1764000000001 }),
      opts,
    )[0]!;
    const c = normalizeHubSpotEvent(
      ev({ subscriptionType: 'contact.creation', objectId: 1, subscriptionId: 9 }),
      opts,
    )[0]!;
    expect(new Set([a.deliveryKey, b.deliveryKey, c.deliveryKey]).size).toBe(3);
  });

  it.each([
    ['an empty array', []],
    ['an object instead of an array', { ...base, subscriptionType: 'contact.creation' }],
    ['101 events', Array.from({ length: 101 }, () => ({ ...base, subscriptionType: 'contact.creation' }))],
    ['a missing portalId', [{ eventId: 1, subscriptionId: 1, occurredAt: 1, subscriptionType: 'contact.creation' }]],
  ])('the batch schema rejects %s', (_, body) => {
    expect(hubspotBatchSchema.safeParse(body).success).toBe(false);
  });
});

// The generic association events as the webhooks docs list their fields (no objectTypeId):
// developers.hubspot.com/docs/api/webhooks — test/fixtures/docs/README.md says how it was made.
describe('documented object.associationChange payloads', () => {
  it('link the engagement to its contact in both directions', async () => {
    const { readFile } = await import('node:fs/promises');
    const body = JSON.parse(
      await readFile(
        new URL('../fixtures/docs/hubspot-webhook-object-association-change.json', import.meta.url),
        'utf8',
      ),
    );
    const events = hubspotBatchSchema.parse(body);
    const ops = events.flatMap((e) => normalizeHubSpotEvent(e, opts));
    expect(ops).toMatchObject([
      { kind: 'engagement', engagementId: '0-48:777', contactIds: ['123'] },
      { kind: 'engagement', engagementId: '0-47:555', contactIds: ['123'] },
    ]);
  });
});
