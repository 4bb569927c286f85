import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signFeed } from '../../webhooks/events/events-router.ts';
import { signV3 } from '../../webhooks/hubspot/hubspot-signature.ts';
import {
  EVENTS_SECRET,
  HUBSPOT_SECRET,
  PUBLIC_BASE_URL,
  SF_TOKEN,
  startIngress,
  type TestIngress,
} from '../helpers/ingress.ts';

const SF_XML = readFileSync(new URL('../fixtures/salesforce-outbound.xml', import.meta.url), 'utf8');
const HS_BODY = JSON.stringify([
  {
    eventId: 1,
    subscriptionId: 2,
    portalId: 62515,
    occurredAt: Date.now(),
    subscriptionType: 'contact.creation',
    objectId: 5,
  },
]);
let t: TestIngress;
beforeAll(async () => {
  t = await startIngress({ MAX_BODY_BYTES: '65536' });
});
afterAll(async () => {
  await t.close();
});

// Bodies: random bytes, random JSON values, and truncations or byte flips of valid bodies.
const jsonValue = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null');
const truncated = (valid: string) => fc.integer({ min: 0, max: valid.length }).map((n) => valid.slice(0, n));
const flipped = (valid: string) =>
  fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
    const buf = Buffer.from(valid);
    buf[i % buf.length] = b;
    return buf.toString('latin1');
  });
const body = (valid: string) =>
  fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString('latin1')),
    jsonValue,
    truncated(valid),
    flipped(valid),
  );
const headerValue = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')),
  fc.nat().map(String),
  fc.constant('9'.repeat(40)),
);

type Target = {
  name: string;
  path: string;
  valid: string;
  sign: (path: string, body: string, ts: string) => Record<string, string>;
};
const targets: Target[] = [
  {
    name: 'hubspot',
    path: '/webhooks/hubspot',
    valid: HS_BODY,
    sign: (p, b, ts) => ({
      'x-hubspot-signature-v3': signV3(HUBSPOT_SECRET, 'POST', PUBLIC_BASE_URL + p, Buffer.from(b, 'latin1'), ts),
      'x-hubspot-request-timestamp': ts,
    }),
  },
  {
    name: 'hubspot workflow',
    path: '/webhooks/hubspot/workflow/form_submission?portalId=62515',
    valid: '{"objectId":501,"properties":{"a":{"value":"b"}}}',
    sign: (p, b, ts) => ({
      'x-hubspot-signature-v3': signV3(HUBSPOT_SECRET, 'POST', PUBLIC_BASE_URL + p, Buffer.from(b, 'latin1'), ts),
      'x-hubspot-request-timestamp': ts,
    }),
  },
  { name: 'salesforce', path: `/webhooks/salesforce?token=${SF_TOKEN}`, valid: SF_XML, sign: () => ({}) },
  {
    name: 'events',
    path: '/webhooks/events',
    valid: '{"id":"a","type":"product_usage","occurredAt":1,"contact":{"email":"a@b.co"}}',
    sign: (_, b, ts) => ({
      'x-leadstage-timestamp': String(Math.floor(Number(ts) / 1000)),
      'x-leadstage-signature': `sha256=${signFeed(EVENTS_SECRET, String(Math.floor(Number(ts) / 1000)), Buffer.from(b, 'latin1'))}`,
    }),
  },
];

describe.each(targets)('fuzzing $name', (target) => {
  it('never answers 5xx to random, truncated or corrupted bodies and headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        body(target.valid),
        fc.boolean(),
        fc.dictionary(
          fc.constantFrom(
            'x-hubspot-signature-v3',
            'x-hubspot-request-timestamp',
            'x-hubspot-signature',
            'x-hubspot-signature-version',
            'x-leadstage-timestamp',
            'x-leadstage-signature',
            'content-type',
          ),
          headerValue,
        ),
        async (b, signIt, randomHeaders) => {
          // Half of the requests carry a valid signature, so the parsers behind verification get garbage too.
          const headers = signIt ? target.sign(target.path, b, String(Date.now())) : randomHeaders;
          const res = await fetch(t.url + target.path, { method: 'POST', headers, body: Buffer.from(b, 'latin1') });
          await res.arrayBuffer();
          expect(res.status, `status ${res.status}`).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});
