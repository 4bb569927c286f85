import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ActivityStore } from '../../src/store/activity-store.ts';
import { hsEvent, postHubSpot, postWorkflow, startIngress, type TestIngress } from '../helpers/ingress.ts';

const tenant = { crm: 'hubspot', id: '62515' } as const;
// Recent instants: the store trims history older than engagement.maxAgeDays against the real clock.
const ago = (minutes: number) => Date.now() - minutes * 60_000;
let t: TestIngress;

beforeEach(async () => {
  t = await startIngress();
});
afterEach(async () => {
  await t.close();
});

const post = (events: unknown[], opts = {}) => postHubSpot(t.url, '/webhooks/hubspot', JSON.stringify(events), opts);
const jobs = () => t.web.queues.recompute.getJobs(['delayed', 'waiting', 'active']);
const metric = async (name: string) => {
  const m = await t.web.metrics.registry.getSingleMetricAsString(name);
  return m
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => Number(l.split(' ').pop()))
    .reduce((a, b) => a + b, 0);
};

describe('POST /webhooks/hubspot', () => {
  it('queues a signed batch: activities stored, contacts pending, one recompute job for the portal', async () => {
    const opened = ago(10);
    const res = await post([
      hsEvent({ subscriptionType: 'contact.creation', objectId: 101 }),
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: 102,
        propertyName: 'hs_email_last_open_date',
        propertyValue: String(opened),
      }),
    ]);
    expect(res.status).toBe(204);
    expect(await t.web.store.pending(tenant)).toEqual(['contact:101', 'contact:102']);
    expect(await t.web.store.activities({ tenant, id: '102' })).toEqual([
      {
        id: `hubspot:hs_email_last_open_date:${opened}`,
        type: 'email_open',
        at: opened,
        attributes: { source: 'hs_email_last_open_date' },
      },
    ]);
    const queued = await jobs();
    expect(queued).toHaveLength(1);
    expect(queued[0]!.data).toEqual({ tenant });
  });

  it('coalesces: 50 events for one contact, in one batch and across 50 requests, make one pending entry and one job', async () => {
    const burst = Array.from({ length: 50 }, (_, i) =>
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: 7,
        propertyName: 'jobtitle',
        propertyValue: `t${i}`,
      }),
    );
    expect((await post(burst)).status).toBe(204);
    for (let i = 0; i < 50; i++) {
      expect(
        (
          await post([
            hsEvent({
              subscriptionType: 'contact.propertyChange',
              objectId: 7,
              propertyName: 'hs_email_last_open_date',
              propertyValue: String(ago(100) + i),
            }),
          ])
        ).status,
      ).toBe(204);
    }
    expect(await t.web.store.pending(tenant)).toEqual(['contact:7']);
    expect(await jobs()).toHaveLength(1);
    expect(await t.web.store.activities({ tenant, id: '7' })).toHaveLength(50);
  });

  it('drops a retried delivery: same event → 204, stored once, counted as duplicate', async () => {
    const batch = [
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: 9,
        propertyName: 'hs_email_last_click_date',
        propertyValue: String(ago(5)),
      }),
    ];
    expect((await post(batch)).status).toBe(204);
    await t.redis.del(`${t.prefix}:{hubspot:62515}:pending`); // as if a worker had drained it
    const retry = [{ ...batch[0], attemptNumber: 1 }];
    expect((await post(retry)).status).toBe(204);
    expect(await t.web.store.pending(tenant)).toEqual([]);
    expect(await metric('leadstage_events_duplicate_total')).toBe(1);
    expect(await metric('leadstage_events_accepted_total')).toBe(1);
  });

  it('trims history when the worker reads it: past maxAgeDays, and beyond the newest N', async () => {
    const open = (at: number) =>
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: 60,
        propertyName: 'hs_email_last_open_date',
        propertyValue: String(at),
      });
    const old = Date.now() - 400 * 86_400_000; // the shipped config keeps 365 days
    const recent = [ago(50), ago(40), ago(30), ago(20)];
    await post([open(old), ...recent.map(open)]);
    expect(await t.redis.hlen(`${t.prefix}:{hubspot:62515}:act:60`)).toBe(5);
    expect((await t.web.store.activities({ tenant, id: '60' })).map((a) => a.at)).toEqual(recent);
    expect(await t.redis.hlen(`${t.prefix}:{hubspot:62515}:act:60`)).toBe(4);
    const capped = new ActivityStore(t.web.redis, t.web.keys, { maxAgeDays: 365, maxPerContact: 2 });
    expect(await capped.activities({ tenant, id: '60' })).toHaveLength(2);
    expect(await t.redis.hlen(`${t.prefix}:{hubspot:62515}:act:60`)).toBe(2);
  });

  it('ignores echoes of its own writes without queueing work', async () => {
    const res = await post([
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: 5,
        propertyName: 'leadstage_score',
        propertyValue: '80',
      }),
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: 5,
        propertyName: 'lifecyclestage',
        propertyValue: 'lead',
        changeSource: 'INTEGRATION',
        sourceId: '54321',
      }),
    ]);
    expect(res.status).toBe(204);
    expect(await t.web.store.pending(tenant)).toEqual([]);
    expect(await jobs()).toHaveLength(0);
    expect(await metric('leadstage_events_ignored_total')).toBe(2);
  });

  it('moves the activities of merged contacts to the survivor', async () => {
    const open = (id: number, at: number) =>
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: id,
        propertyName: 'hs_email_last_open_date',
        propertyValue: String(at),
      });
    const [a, b, c] = [ago(300), ago(200), ago(100)];
    await post([open(11, a), open(12, b), open(10, c)]);
    expect(
      (
        await post([
          hsEvent({ subscriptionType: 'contact.merge', objectId: 10, primaryObjectId: 10, mergedObjectIds: [11, 12] }),
        ])
      ).status,
    ).toBe(204);
    expect((await t.web.store.activities({ tenant, id: '10' })).map((x) => x.at)).toEqual([a, b, c]);
    expect(await t.web.store.activities({ tenant, id: '11' })).toEqual([]);
    expect(await t.web.store.pending(tenant)).toEqual(['contact:10']);
  });

  it('erases a deleted contact, cancels its pending work, drops late events, and a restore brings it back', async () => {
    await post([
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: 20,
        propertyName: 'hs_email_last_open_date',
        propertyValue: String(ago(60)),
      }),
    ]);
    expect((await post([hsEvent({ subscriptionType: 'contact.deletion', objectId: 20 })])).status).toBe(204);
    expect(await t.web.store.activities({ tenant, id: '20' })).toEqual([]);
    expect(await t.web.store.pending(tenant)).toEqual([]);
    await post([
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: 20,
        propertyName: 'hs_email_last_open_date',
        propertyValue: String(ago(59)),
      }),
    ]);
    expect(await t.web.store.activities({ tenant, id: '20' })).toEqual([]);
    expect(await t.web.store.pending(tenant)).toEqual([]);
    await post([hsEvent({ subscriptionType: 'contact.restore', objectId: 20 })]);
    expect(await t.web.store.pending(tenant)).toEqual(['contact:20']);
  });

  it('keeps a privacy deletion even when a plain deletion and a restore follow', async () => {
    await post([
      hsEvent({
        subscriptionType: 'contact.propertyChange',
        objectId: 30,
        propertyName: 'hs_email_last_open_date',
        propertyValue: String(ago(60)),
      }),
    ]);
    await post([
      hsEvent({ subscriptionType: 'contact.privacyDeletion', objectId: 30 }),
      hsEvent({ subscriptionType: 'contact.deletion', objectId: 30 }),
    ]);
    await post([hsEvent({ subscriptionType: 'contact.restore', objectId: 30 })]);
    expect(await t.web.store.activities({ tenant, id: '30' })).toEqual([]);
    expect(await t.web.store.pending(tenant)).toEqual([]);
    expect(await t.redis.get(`${t.prefix}:{hubspot:62515}:gone:30`)).toBe('privacy');
  });

  it('turns an engagement into an activity once creation and association have both arrived, in either order', async () => {
    await post([
      hsEvent({ subscriptionType: 'object.creation', objectTypeId: '0-48', objectId: 900, occurredAt: ago(30) }),
    ]);
    expect(await t.web.store.activities({ tenant, id: '40' })).toEqual([]);
    await post([
      hsEvent({
        subscriptionType: 'object.associationChange',
        fromObjectTypeId: '0-48',
        toObjectTypeId: '0-1',
        fromObjectId: 900,
        toObjectId: 40,
        associationRemoved: false,
      }),
    ]);
    expect(await t.web.store.activities({ tenant, id: '40' })).toMatchObject([
      { id: 'hubspot:engagement:0-48:900', type: 'call_logged', attributes: { objectTypeId: '0-48' } },
    ]);

    await post([
      hsEvent({
        subscriptionType: 'object.associationChange',
        fromObjectTypeId: '0-47',
        toObjectTypeId: '0-1',
        fromObjectId: 901,
        toObjectId: 41,
        associationRemoved: false,
      }),
    ]);
    await post([
      hsEvent({ subscriptionType: 'object.creation', objectTypeId: '0-47', objectId: 901, occurredAt: ago(20) }),
    ]);
    expect((await t.web.store.activities({ tenant, id: '41' })).map((a) => a.type)).toEqual(['meeting_booked']);
    expect(await t.web.store.pending(tenant)).toEqual(['contact:40', 'contact:41']);
  });

  it.each([
    ['no signature', { headers: { 'x-hubspot-signature-v3': '' } }, 401],
    ['a wrong secret', { secret: 'not-the-client-secret-xx' }, 401],
    ['a stale timestamp', { timestamp: Date.now() - 6 * 60_000 }, 401],
    ['a future timestamp', { timestamp: Date.now() + 6 * 60_000 }, 401],
  ])('answers 401 to %s and queues nothing', async (_, opts, status) => {
    const res = await post([hsEvent({ subscriptionType: 'contact.creation', objectId: 1 })], opts);
    expect(res.status).toBe(status);
    expect(await jobs()).toHaveLength(0);
  });

  it.each([
    ['a body that is not JSON', '{"eventId": 1,'],
    ['an object instead of an array', '{"eventId":1}'],
    [
      'an event without portalId',
      '[{"eventId":1,"subscriptionId":1,"occurredAt":1,"subscriptionType":"contact.creation"}]',
    ],
  ])('answers 400 to %s, without echoing it', async (_, body) => {
    const res = await postHubSpot(t.url, '/webhooks/hubspot', body);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toContain('eventId');
    expect(JSON.parse(text).error).toMatch(/JSON/);
  });

  it('answers 413 to a body over the limit', async () => {
    const big = JSON.stringify([
      hsEvent({ subscriptionType: 'contact.creation', objectId: 1, pad: 'x'.repeat(1_100_000) }),
    ]);
    const res = await postHubSpot(t.url, '/webhooks/hubspot', big);
    expect(res.status).toBe(413);
  });

  it('answers 503 while another request is queueing the same delivery, and accepts it once that one is done', async () => {
    const e = hsEvent({ subscriptionType: 'contact.creation', objectId: 77 });
    const key = `${t.prefix}:{hubspot:62515}:dl:hubspot:62515:12345:${e['eventId']}:${e['occurredAt']}`;
    await t.redis.set(key, 'p:someone-else', 'PX', 30_000);
    const busy = await post([e]);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('5');
    await t.redis.set(key, 'done');
    expect((await post([e])).status).toBe(204);
  });

  it('releases its claims when queueing fails, so the CRM retry is processed', async () => {
    const e = hsEvent({ subscriptionType: 'contact.creation', objectId: 88 });
    const spy = vi.spyOn(t.web.queues.recompute, 'add').mockRejectedValueOnce(new Error('Connection is closed.'));
    const failed = await post([e]);
    expect(failed.status).toBe(503);
    spy.mockRestore();
    const retried = await post([{ ...e, attemptNumber: 1 }]);
    expect(retried.status).toBe(204);
    expect(await jobs()).toHaveLength(1);
  });
});

describe('POST /webhooks/hubspot/workflow/:activityType (v2)', () => {
  const path = '/webhooks/hubspot/workflow/form_submission?portalId=62515';
  it('stores the activity with the workflow properties and dedupes a retry of the same body', async () => {
    const body = JSON.stringify({
      objectId: 501,
      properties: {
        recent_conversion_event_name: { value: 'Request a demo' },
        recent_conversion_date: { value: String(ago(1)) },
      },
    });
    expect((await postWorkflow(t.url, path, body)).status).toBe(204);
    expect((await postWorkflow(t.url, path, body)).status).toBe(204);
    const acts = await t.web.store.activities({ tenant, id: '501' });
    expect(acts).toHaveLength(1);
    expect(acts[0]).toMatchObject({
      type: 'form_submission',
      attributes: { recent_conversion_event_name: 'Request a demo', objectId: 501 },
    });
  });

  it('rejects an unknown activity type and a body without a contact id', async () => {
    expect(
      (await postWorkflow(t.url, '/webhooks/hubspot/workflow/dance?portalId=62515', '{"objectId":1}')).status,
    ).toBe(400);
    expect((await postWorkflow(t.url, path, '{"name":"x"}')).status).toBe(400);
  });

  it('rejects a v2 signature computed for another URL', async () => {
    const body = '{"objectId":1}';
    const res = await fetch(t.url + path, {
      method: 'POST',
      body,
      headers: { 'x-hubspot-signature-version': 'v2', 'x-hubspot-signature': 'a'.repeat(64) },
    });
    expect(res.status).toBe(401);
  });
});
