import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** HubSpot rejects nothing older than this; neither do we, in either direction. */
export const MAX_TIMESTAMP_SKEW_MS = 5 * 60_000;

// HubSpot's documented list of percent-encodings to decode in the v3 URI before signing.
const V3_DECODE: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/** The URI as HubSpot signs it for v3: only the listed escapes decoded (either case), nothing else touched. */
export function decodeV3Uri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => V3_DECODE[m.toUpperCase()]!);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Length is not secret (it is fixed per signature version); the content comparison is constant-time.
  return x.length === y.length && timingSafeEqual(x, y);
}

export type SignatureCheck =
  | { ok: true }
  | {
      ok: false;
      reason:
        'missing signature' | 'bad signature' | 'stale timestamp' | 'bad timestamp' | 'unsupported signature version';
    };

export interface SignedRequest {
  method: string;
  /** The full public URL HubSpot called: PUBLIC_BASE_URL + original path and query. */
  url: string;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

function header(h: SignedRequest['headers'], name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function signV1(secret: string, rawBody: Buffer): string {
  return createHash('sha256').update(secret).update(rawBody).digest('hex');
}

export function signV2(secret: string, method: string, url: string, rawBody: Buffer): string {
  return createHash('sha256')
    .update(secret + method + url)
    .update(rawBody)
    .digest('hex');
}

export function signV3(secret: string, method: string, url: string, rawBody: Buffer, timestamp: string): string {
  return createHmac('sha256', secret)
    .update(method + decodeV3Uri(url))
    .update(rawBody)
    .update(timestamp)
    .digest('base64');
}

/**
 * Verify a HubSpot request: v3 when its header is present (preferred: it covers the URL and a
 * timestamp), else v1 or v2 as X-HubSpot-Signature-Version says. Always over the raw bytes.
 */
export function verifyHubSpotSignature(req: SignedRequest, secret: string, nowMs: number): SignatureCheck {
  const v3 = header(req.headers, 'x-hubspot-signature-v3');
  if (v3 !== undefined) {
    const ts = header(req.headers, 'x-hubspot-request-timestamp');
    if (ts === undefined || !/^\d{10,16}$/.test(ts)) return { ok: false, reason: 'bad timestamp' };
    if (Math.abs(nowMs - Number(ts)) > MAX_TIMESTAMP_SKEW_MS) return { ok: false, reason: 'stale timestamp' };
    return safeEqual(signV3(secret, req.method, req.url, req.rawBody, ts), v3)
      ? { ok: true }
      : { ok: false, reason: 'bad signature' };
  }
  const sig = header(req.headers, 'x-hubspot-signature');
  if (sig === undefined) return { ok: false, reason: 'missing signature' };
  const version = header(req.headers, 'x-hubspot-signature-version') ?? 'v1';
  if (version === 'v1')
    return safeEqual(signV1(secret, req.rawBody), sig.toLowerCase())
      ? { ok: true }
      : { ok: false, reason: 'bad signature' };
  if (version === 'v2')
    return safeEqual(signV2(secret, req.method, req.url, req.rawBody), sig.toLowerCase())
      ? { ok: true }
      : { ok: false, reason: 'bad signature' };
  return { ok: false, reason: 'unsupported signature version' };
}
