import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/platform/env.ts';

const full = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  PUBLIC_BASE_URL: 'https://leadstage.example.com/',
  HUBSPOT_CLIENT_SECRET: 's'.repeat(20),
  SALESFORCE_ORG_IDS: '00D5g000004SxyzEAC, 00D000000000062',
  SALESFORCE_WEBHOOK_TOKEN: 't'.repeat(20),
  EVENTS_SIGNING_SECRET: 'e'.repeat(20),
};

describe('parseEnv', () => {
  it('accepts a complete environment with defaults', () => {
    const r = parseEnv(full);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.env).toMatchObject({
      PORT: 3000,
      PUBLIC_BASE_URL: 'https://leadstage.example.com',
      LEADSTAGE_SOURCES: ['hubspot', 'salesforce', 'events'],
      MAX_BODY_BYTES: 1_048_576,
    });
    expect(r.env.salesforceOrgIds).toEqual(['00D5g000004Sxyz', '00D000000000062']);
  });

  it('treats an empty variable as unset (compose passes ${X:-} as an empty string)', () => {
    const r = parseEnv({ ...full, HUBSPOT_APP_ID: '', METRICS_TOKEN: '', WORKER_HEALTH_PORT: ' ' });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.env.HUBSPOT_APP_ID).toBeUndefined();
    expect(r.env.METRICS_TOKEN).toBeUndefined();
    expect(r.env.WORKER_HEALTH_PORT).toBeUndefined();
  });

  it.each([
    ['REDIS_URL missing', { REDIS_URL: undefined }, /^REDIS_URL: REDIS_URL is required/],
    ['REDIS_URL not a redis URL', { REDIS_URL: 'http://x' }, /^REDIS_URL: REDIS_URL must start with redis:\/\//],
    ['PUBLIC_BASE_URL not a URL', { PUBLIC_BASE_URL: 'leadstage' }, /^PUBLIC_BASE_URL: /],
    ['PORT out of range', { PORT: '70000' }, /^PORT: /],
    [
      'a short HubSpot secret',
      { HUBSPOT_CLIENT_SECRET: 'short' },
      /^HUBSPOT_CLIENT_SECRET: HUBSPOT_CLIENT_SECRET must be at least 16 characters/,
    ],
    [
      'a missing feed secret',
      { EVENTS_SIGNING_SECRET: undefined },
      /^EVENTS_SIGNING_SECRET: EVENTS_SIGNING_SECRET is required \(source "events" is enabled/,
    ],
    [
      'a bad org id',
      { SALESFORCE_ORG_IDS: '001000000000001' },
      /SALESFORCE_ORG_IDS: "001000000000001" is not an organization id/,
    ],
    ['an unknown source', { LEADSTAGE_SOURCES: 'hubspot,pipedrive' }, /^LEADSTAGE_SOURCES: /],
  ])('refuses %s, naming the variable', (_, over, message) => {
    const r = parseEnv({ ...full, ...over });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.some((e) => message.test(e)), JSON.stringify(!r.ok && r.errors)).toBe(true);
  });

  it('never puts a secret value in a message', () => {
    const r = parseEnv({ ...full, HUBSPOT_CLIENT_SECRET: 'tooshort!', REDIS_URL: 'redis://:p4ssw0rd@' });
    expect(JSON.stringify(r)).not.toContain('tooshort!');
  });

  it('lets a deployment switch a source off, and then does not need its secrets', () => {
    const r = parseEnv({
      REDIS_URL: full.REDIS_URL,
      PUBLIC_BASE_URL: full.PUBLIC_BASE_URL,
      LEADSTAGE_SOURCES: 'salesforce',
      SALESFORCE_ORG_IDS: '00D000000000062',
      SALESFORCE_WEBHOOK_TOKEN: full.SALESFORCE_WEBHOOK_TOKEN,
    });
    expect(r.ok).toBe(true);
  });
});
