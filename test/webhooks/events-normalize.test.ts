import { describe, expect, it } from 'vitest';
import { emailHash, feedBodySchema, normalizeFeed } from '../../webhooks/events/events-normalize.ts';

const types = new Set(['product_usage', 'webinar_attended']);
const parse = (body: unknown) => {
  const r = feedBodySchema.safeParse(body);
  if (!r.success) throw new Error(r.error.message);
  return Array.isArray(r.data) ? r.data : [r.data];
};

describe('normalizeFeed', () => {
  it('maps CRM-addressed events to activities of that tenant and contact', () => {
    const r = normalizeFeed(
      parse([
        {
          id: 'u-1',
          type: 'product_usage',
          occurredAt: '2026-11-23T14:00:00Z',
          contact: { crm: 'hubspot', portalId: 62515, id: '123' },
          attributes: { feature: 'export' },
        },
        {
          id: 'u-2',
          type: 'webinar_attended',
          occurredAt: 1764000000000,
          contact: { crm: 'salesforce', orgId: '00D5g000004SxyzEAC', id: '00Q5g00000LeadAAAA' },
        },
      ]),
      types,
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.ops[0]).toMatchObject({
      kind: 'activity',
      contact: { tenant: { crm: 'hubspot', id: '62515' }, objectType: 'contact', id: '123' },
      activity: { id: 'feed:u-1', type: 'product_usage', attributes: { feature: 'export' } },
    });
    expect(r.ops[1]).toMatchObject({
      kind: 'activity',
      contact: { tenant: { crm: 'salesforce', id: '00D5g000004Sxyz' }, objectType: 'lead', id: '00Q5g00000LeadAAAA' },
    });
    expect(r.ops[0]!.deliveryKey).toMatch(/^events:[0-9a-f]{40}$/);
  });

  it('keeps e-mail-addressed events for resolution, keyed by a hash of the address', () => {
    const r = normalizeFeed(
      parse({
        id: 'w-9',
        type: 'webinar_attended',
        occurredAt: 1764000000000,
        contact: { email: ' Ana@Example.com ' },
      }),
      types,
    );
    expect(r.ok && r.ops[0]).toMatchObject({
      kind: 'unresolved',
      emailHash: emailHash('ana@example.com'),
      email: 'ana@example.com',
    });
  });

  it('rejects an unknown activity type, naming the event', () => {
    expect(
      normalizeFeed(
        parse([
          { id: 'a', type: 'product_usage', occurredAt: 1, contact: { email: 'a@b.co' } },
          { id: 'b', type: 'dance', occurredAt: 1, contact: { email: 'a@b.co' } },
        ]),
        types,
      ),
    ).toEqual({ ok: false, reason: 'event 1: unknown activity type "dance"' });
  });

  it.each([
    ['no contact', { id: 'a', type: 'x', occurredAt: 1 }],
    ['a bad date', { id: 'a', type: 'x', occurredAt: 'soon', contact: { email: 'a@b.co' } }],
    ['a bad e-mail', { id: 'a', type: 'x', occurredAt: 1, contact: { email: 'nope' } }],
    [
      'a bad Salesforce org',
      { id: 'a', type: 'x', occurredAt: 1, contact: { crm: 'salesforce', orgId: 'x', id: '00Q5g00000LeadAAAA' } },
    ],
    ['an extra field', { id: 'a', type: 'x', occurredAt: 1, contact: { email: 'a@b.co' }, extra: 1 }],
    ['an empty array', []],
  ])('the schema rejects %s', (_, body) => {
    expect(feedBodySchema.safeParse(body).success).toBe(false);
  });
});
