import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { signFeed } from '../../webhooks/events/events-router.ts';
import { signV2, signV3 } from '../../webhooks/hubspot/hubspot-signature.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWebService, type WebService } from '../../src/app/web-service.ts';
import { defaultConfig } from './fixtures.ts';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const HUBSPOT_SECRET = 'test-hubspot-client-secret-0001';
export const EVENTS_SECRET = 'test-events-signing-secret-0001';
export const SF_TOKEN = 'test-salesforce-token-000000001';
export const SF_ORG = '00D5g000004SxyzEAC';
export const PUBLIC_BASE_URL = 'https://leadstage.example.com';

export interface TestIngress {
  web: WebService;
  url: string;
  prefix: string;
  /** A plain client on the same Redis, for assertions. */
  redis: Redis;
  close(): Promise<void>;
}

/** A web service on an ephemeral port with its own random key prefix; close() deletes only its keys. */
export async function startIngress(
  env: Record<string, string> = {},
  opts: { redisReadyWaitMs?: number } = {},
): Promise<TestIngress> {
  const prefix = `lstest${randomBytes(5).toString('hex')}`;
  const parsed = parseEnv({
    REDIS_URL,
    PUBLIC_BASE_URL,
    PORT: '0',
    HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET,
    EVENTS_SIGNING_SECRET: EVENTS_SECRET,
    SALESFORCE_WEBHOOK_TOKEN: SF_TOKEN,
    SALESFORCE_ORG_IDS: SF_ORG,
    LEADSTAGE_REDIS_PREFIX: prefix,
    HUBSPOT_APP_ID: '54321',
    BATCH_WINDOW_MS: '250',
    LOG_LEVEL: 'silent',
    ...env,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const web = await startWebService({
    env: parsed.env,
    config: defaultConfig(),
    log: createLogger(parsed.env.LOG_LEVEL),
    ...opts,
  });
  const redis = new Redis(parsed.env.REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // some tests take Redis away on purpose
  return {
    web,
    prefix,
    redis,
    url: `http://127.0.0.1:${web.port}`,
    async close() {
      await web.stop();
      // Tests that take Redis away leave nothing behind to clean; everywhere else, clean.
      await deleteKeys(redis, `${prefix}:*`).catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** Delete the keys matching `prefix:*` (the pattern form is kept for the tests' call sites). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  await deleteByPrefix(redis, pattern.replace(/:\*$/, ''));
}

let eventSeq = 1_000;
/** A HubSpot webhook event with a fresh event id. */
export function hsEvent(over: Record<string, unknown>): Record<string, unknown> {
  eventSeq += 1;
  return {
    eventId: eventSeq,
    subscriptionId: 12345,
    portalId: 62515,
    appId: 54321,
    occurredAt: 1_764_000_000_000 + eventSeq,
    attemptNumber: 0,
    changeSource: 'CRM',
    ...over,
  };
}

/** POST a body to a HubSpot endpoint with a valid v3 signature (or the given headers). */
export async function postHubSpot(
  base: string,
  path: string,
  body: string,
  opts: { timestamp?: number; headers?: Record<string, string>; secret?: string } = {},
): Promise<Response> {
  const ts = String(opts.timestamp ?? Date.now());
  const sig = signV3(opts.secret ?? HUBSPOT_SECRET, 'POST', PUBLIC_BASE_URL + path, Buffer.from(body), ts);
  return fetch(base + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': sig,
      'x-hubspot-request-timestamp': ts,
      ...opts.headers,
    },
    body,
  });
}

/** POST a workflow webhook body with a v2 signature, as HubSpot workflows send them. */
export async function postWorkflow(base: string, path: string, body: string): Promise<Response> {
  const sig = signV2(HUBSPOT_SECRET, 'POST', PUBLIC_BASE_URL + path, Buffer.from(body));
  return fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hubspot-signature': sig, 'x-hubspot-signature-version': 'v2' },
    body,
  });
}

export async function postFeed(
  base: string,
  body: string,
  opts: { timestamp?: number; secret?: string } = {},
): Promise<Response> {
  const ts = String(Math.floor((opts.timestamp ?? Date.now()) / 1000));
  return fetch(`${base}/webhooks/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-leadstage-timestamp': ts,
      'x-leadstage-signature': `sha256=${signFeed(opts.secret ?? EVENTS_SECRET, ts, body)}`,
    },
    body,
  });
}

export function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
