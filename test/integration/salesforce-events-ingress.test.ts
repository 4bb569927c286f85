import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emailHash } from '../../webhooks/events/events-normalize.ts';
import { postFeed, SF_TOKEN, startIngress, type TestIngress } from '../helpers/ingress.ts';

const XML = readFileSync(new URL('../fixtures/salesforce-outbound.xml', import.meta.url), 'utf8');
const sfTenant = { crm: 'salesforce', id: '00D5g000004Sxyz' } as const;
let t: TestIngress;

beforeEach(async () => {
  t = await startIngress({ SALESFORCE_INTEGRATION_USER_ID: '0055g00000IntgAAAA' });
});
afterEach(async () => {
  await t.close();
});

// Outbound messages carry their own dates; make them recent so the history window keeps them.
const recentXml = () => XML.replace(/2026-11-23T1\d:\d\d:00\.000Z/g, new Date(Date.now() - 60_000).toISOString());
const postSf = (body: string, token = SF_TOKEN) =>
  fetch(`${t.url}/webhooks/salesforce?token=${encodeURIComponent(token)}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', SOAPAction: '""' },
    body,
  });

describe('POST /webhooks/salesforce', () => {
  it('acknowledges with a SOAP Ack only after queueing', async () => {
    const res = await postSf(recentXml());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/xml/);
    expect(await res.text()).toContain(
      '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>',
    );
    expect(await t.web.store.pending(sfTenant)).toEqual(['contact:0035g00000CntcAAAA', 'lead:00Q5g00000LeadAAAA']);
    expect((await t.web.store.activities({ tenant: sfTenant, id: '00Q5g00000LeadAAAA' })).map((a) => a.type)).toEqual([
      'call_logged',
    ]);
    expect((await t.web.queues.recompute.getJobs(['delayed', 'waiting'])).map((j) => j.data)).toEqual([
      { tenant: sfTenant },
    ]);
  });

  it('dedupes on the notification id when Salesforce redelivers', async () => {
    await postSf(recentXml());
    await t.redis.del(`${t.prefix}:{salesforce:00D5g000004Sxyz}:pending`);
    const again = await postSf(recentXml());
    expect(again.status).toBe(200);
    expect(await t.web.store.pending(sfTenant)).toEqual([]);
  });

  it('skips a notification whose record was deleted (empty sObject), queues the others and acknowledges', async () => {
    const body = recentXml().replace(
      /(<Notification>\s*<Id>04l5g00000ABCD1AAA<\/Id>)\s*<sObject[\s\S]*?<\/sObject>/,
      '$1<sObject xsi:type="sf:Lead"/>',
    );
    const res = await postSf(body);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Ack>true</Ack>');
    // The Lead still gets its Task's activity (another notification); the Contact is queued.
    expect(await t.web.store.pending(sfTenant)).toEqual(['contact:0035g00000CntcAAAA', 'lead:00Q5g00000LeadAAAA']);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/leadstage_requests_rejected_total\{source="salesforce",reason="notification_skipped"\} 1/);
  });

  it('never queues a malformed WhoId ("00Qbad-id")', async () => {
    const res = await postSf(
      recentXml().replace('<sf:WhoId>00Q5g00000LeadAAAA</sf:WhoId>', '<sf:WhoId>00Qbad-id</sf:WhoId>'),
    );
    expect(res.status).toBe(200);
    const keys = await t.redis.keys(`${t.prefix}:*`);
    expect(keys.join(' ')).not.toContain('bad-id');
  });

  it.each([
    ['a wrong token', () => postSf(XML, 'wrong-token-wrong-token-xx'), 401],
    ['no token', () => fetch(`${t.url}/webhooks/salesforce`, { method: 'POST', body: XML }), 401],
    ['an organization that is not ours', () => postSf(XML.replace('00D5g000004SxyzEAC', '00D5g000009OtherAA')), 401],
    ['a body that is not SOAP', () => postSf('<html></html>'), 400],
    [
      'an XML entity bomb',
      () => postSf('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>'),
      400,
    ],
  ])('answers %s with %i and queues nothing', async (_, send, status) => {
    expect((await send()).status).toBe(status);
    expect(await t.web.store.pending(sfTenant)).toEqual([]);
  });
});

describe('POST /webhooks/events', () => {
  it.each([
    [
      'a lone surrogate in the event id',
      '{"id":"evt-\\ud800","type":"product_usage","occurredAt":1764000000000,"contact":{"crm":"hubspot","portalId":62515,"id":"700"}}',
    ],
    [
      'a lone surrogate in an attribute',
      '{"id":"evt-s2","type":"product_usage","occurredAt":1764000000000,"contact":{"crm":"hubspot","portalId":62515,"id":"700"},"attributes":{"feature":"\\udc00x"}}',
    ],
    [
      'a malformed Salesforce id',
      '{"id":"evt-s3","type":"product_usage","occurredAt":1764000000000,"contact":{"crm":"salesforce","orgId":"00D5g000004SxyzEAC","id":"00Qbad-id"}}',
    ],
  ])('answers %s with 400 (not 500) and queues nothing', async (_, body) => {
    const res = await postFeed(t.url, body);
    expect(res.status).toBe(400);
    const keys = await t.redis.keys(`${t.prefix}:*`);
    expect(
      keys.filter((k) => k.includes('{hubspot') || k.includes('{salesforce')),
      keys.join(' '),
    ).toEqual([]);
  });

  const event = (over: Record<string, unknown> = {}) => ({
    id: `evt-${Math.random()}`,
    type: 'product_usage',
    occurredAt: new Date(Date.now() - 1_000).toISOString(),
    contact: { crm: 'hubspot', portalId: 62515, id: '700' },
    attributes: { feature: 'export' },
    ...over,
  });

  it('accepts a signed array with 202 and stores the activities', async () => {
    const res = await postFeed(t.url, JSON.stringify([event(), event({ type: 'webinar_attended' })]));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2 });
    expect(
      (await t.web.store.activities({ tenant: { crm: 'hubspot', id: '62515' }, id: '700' })).map((a) => a.type).sort(),
    ).toEqual(['product_usage', 'webinar_attended']);
  });

  it('keeps e-mail-addressed events for resolution and queues a resolve job, with no address in any key', async () => {
    const res = await postFeed(t.url, JSON.stringify(event({ contact: { email: 'Ana@Example.com' } })));
    expect(res.status).toBe(202);
    const hash = emailHash('ana@example.com');
    expect(await t.redis.smembers(`${t.prefix}:{email}:pending`)).toEqual([hash]);
    expect(await t.redis.hget(`${t.prefix}:{email}:unresolved:${hash}`, '__email')).toBe('ana@example.com');
    expect(await t.web.queues.resolve.getJobCounts('delayed', 'waiting')).toEqual({ delayed: 1, waiting: 0 });
    const keys = await t.redis.keys(`${t.prefix}:*`);
    expect(keys.some((k) => k.toLowerCase().includes('example.com'))).toBe(false);
  });

  it('dedupes a re-sent event id', async () => {
    const e = event();
    await postFeed(t.url, JSON.stringify(e));
    await t.redis.del(`${t.prefix}:{hubspot:62515}:pending`);
    expect((await postFeed(t.url, JSON.stringify(e))).status).toBe(202);
    expect(await t.web.store.pending({ crm: 'hubspot', id: '62515' })).toEqual([]);
  });

  it.each([
    ['a stale timestamp', () => postFeed(t.url, JSON.stringify(event()), { timestamp: Date.now() - 6 * 60_000 }), 401],
    ['a wrong secret', () => postFeed(t.url, JSON.stringify(event()), { secret: 'x'.repeat(32) }), 401],
    ['an unknown activity type', () => postFeed(t.url, JSON.stringify(event({ type: 'dance' }))), 400],
    ['a malformed event', () => postFeed(t.url, JSON.stringify({ id: 'x' })), 400],
    ['a body that is not JSON', () => postFeed(t.url, 'nope'), 400],
  ])('answers %s with %i', async (_, send, status) => {
    expect((await send()).status).toBe(status);
  });
});

describe('health, readiness, metrics', () => {
  it('reports up, ready, and exposes counters and queue depths', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${t.url}/readyz`)).json()).toEqual({ status: 'ready' });
    await postSf(recentXml());
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/leadstage_events_received_total\{source="salesforce"\} 1/);
    expect(text).toMatch(/leadstage_events_accepted_total\{source="salesforce"\} 3/);
    expect(text).toMatch(/leadstage_events_ignored_total\{source="salesforce"\} 2/);
    expect(text).toMatch(/leadstage_queue_jobs\{queue="recompute",state="delayed"\} 1/);
    expect(text).toMatch(
      /leadstage_http_request_duration_seconds_count\{route="\/webhooks\/salesforce",status="200"\} 1/,
    );
  });

  it('is not ready while draining, and refuses webhooks with 503', async () => {
    t.web.app.drain();
    expect((await fetch(`${t.url}/readyz`)).status).toBe(503);
    expect((await postSf(XML)).status).toBe(503);
  });
});
