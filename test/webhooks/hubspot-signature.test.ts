import { readFileSync } from 'node:fs';
import { Signature } from '@hubspot/api-client';
import { describe, expect, it } from 'vitest';
import { decodeV3Uri, signV3, verifyHubSpotSignature } from '../../webhooks/hubspot/hubspot-signature.ts';

const V = JSON.parse(readFileSync(new URL('../fixtures/hubspot-signatures.json', import.meta.url), 'utf8'));
const secret: string = V.secret;

function req(method: string, url: string, body: string, headers: Record<string, string>) {
  return {
    method,
    url,
    rawBody: Buffer.from(body),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
}

describe('HubSpot signature vectors', () => {
  it('v1 (docs vector)', () => {
    expect(
      verifyHubSpotSignature(
        req('POST', 'https://x/y', V.v1.body, {
          'X-HubSpot-Signature': V.v1.signature,
          'X-HubSpot-Signature-Version': 'v1',
        }),
        secret,
        0,
      ),
    ).toEqual({ ok: true });
  });

  it.each(V.v2 as { method: string; url: string; body: string; signature: string }[])(
    'v2 $method (docs vector)',
    (v) => {
      expect(
        verifyHubSpotSignature(
          req(v.method, v.url, v.body, { 'X-HubSpot-Signature': v.signature, 'X-HubSpot-Signature-Version': 'v2' }),
          secret,
          0,
        ),
      ).toEqual({ ok: true });
    },
  );

  it.each(V.v3 as { name: string; method: string; url: string; body: string; timestamp: string; signature: string }[])(
    'v3: $name',
    (v) => {
      const r = req(v.method, v.url, v.body, {
        'X-HubSpot-Signature-v3': v.signature,
        'X-HubSpot-Request-Timestamp': v.timestamp,
      });
      expect(verifyHubSpotSignature(r, secret, Number(v.timestamp) + 1_000)).toEqual({ ok: true });
    },
  );

  it('agrees with the SDK for a URL that needs no decoding', () => {
    const body = '[{"eventId":7}]';
    const url = 'https://leadstage.example.com/webhooks/hubspot?a=1&b=2';
    const ours = signV3(secret, 'POST', url, Buffer.from(body), '1764000000123');
    expect(ours).toBe(
      Signature.getSignature('POST', 'v3', {
        clientSecret: secret,
        url,
        requestBody: body,
        timestamp: 1764000000123,
        signature: '',
      }),
    );
  });
});

describe('v3 rejections', () => {
  const v = V.v3[1] as { method: string; url: string; body: string; timestamp: string; signature: string };
  const ts = Number(v.timestamp);
  const base = (over: Partial<{ body: string; url: string; ts: string; sig: string; method: string }> = {}) =>
    req(over.method ?? v.method, over.url ?? v.url, over.body ?? v.body, {
      'X-HubSpot-Signature-v3': over.sig ?? v.signature,
      'X-HubSpot-Request-Timestamp': over.ts ?? v.timestamp,
    });

  it.each([
    ['a body changed by one byte', base({ body: v.body.replace('501', '502') }), ts, 'bad signature'],
    ['a body with one extra byte', base({ body: v.body + ' ' }), ts, 'bad signature'],
    ['another query string', base({ url: v.url.replace('portalId=62515', 'portalId=62516') }), ts, 'bad signature'],
    ['another method', base({ method: 'PUT' }), ts, 'bad signature'],
    ['a timestamp older than 5 minutes', base(), ts + 5 * 60_000 + 1, 'stale timestamp'],
    ['a timestamp more than 5 minutes ahead', base(), ts - 5 * 60_000 - 1, 'stale timestamp'],
    ['a non-numeric timestamp', base({ ts: 'yesterday' }), ts, 'bad timestamp'],
    ['a truncated signature', base({ sig: v.signature.slice(0, -2) }), ts, 'bad signature'],
    [
      'the signature of another secret',
      base({ sig: signV3('other-secret', v.method, v.url, Buffer.from(v.body), v.timestamp) }),
      ts,
      'bad signature',
    ],
  ])('rejects %s', (_, r, now, reason) => {
    expect(verifyHubSpotSignature(r, secret, now)).toEqual({ ok: false, reason });
  });

  it('accepts a timestamp exactly 5 minutes old', () => {
    expect(verifyHubSpotSignature(base(), secret, ts + 5 * 60_000).ok).toBe(true);
  });

  it('rejects a request with no signature at all, and an unknown version', () => {
    expect(verifyHubSpotSignature(req('POST', 'https://x', '[]', {}), secret, ts)).toEqual({
      ok: false,
      reason: 'missing signature',
    });
    expect(
      verifyHubSpotSignature(
        req('POST', 'https://x', '[]', { 'X-HubSpot-Signature': 'ab', 'X-HubSpot-Signature-Version': 'v9' }),
        secret,
        ts,
      ),
    ).toEqual({ ok: false, reason: 'unsupported signature version' });
  });
});

describe('decodeV3Uri', () => {
  it.each([
    ['https://a.io/p%3Aq%2Fr', 'https://a.io/p:q/r'],
    ['https://a.io/x?e=a%40b.c%2Cd', 'https://a.io/x?e=a@b.c,d'],
    ['lower case %3a%2f', 'lower case :/'],
    ['%20 and %25 stay', '%20 and %25 stay'],
    ['%3F inside a value', '? inside a value'],
  ])('%s', (input, out) => {
    expect(decodeV3Uri(input)).toBe(out);
  });
});
