import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { installConfigOf, installConfigQuery } from '../../src/app/install-links.ts';

// Install links that pick a config file: the install route is anonymous, so only a link signed by
// the deployment may choose, for its CRM, until it expires.
const secret = randomBytes(32);
const query = (q: URLSearchParams) => Object.fromEntries(q);

describe('install links with a config choice', () => {
  it('carries a signed name until it expires', () => {
    const q = query(installConfigQuery(secret, 'hubspot', 'acme.yaml', 2_000));
    expect(installConfigOf(secret, 'hubspot', q, 1_000)).toEqual({ ok: true, name: 'acme.yaml' });
    expect(installConfigOf(secret, 'hubspot', q, 2_000)).toEqual({ ok: false, reason: 'expired' });
    expect(installConfigOf(secret, 'hubspot', {}, 1_000)).toEqual({ ok: true, name: null });
  });

  it('refuses another name, another CRM, a moved expiry, another key and folder names', () => {
    const q = query(installConfigQuery(secret, 'hubspot', 'acme.yaml', 2_000));
    expect(installConfigOf(secret, 'hubspot', { ...q, config: 'globex.yaml' }, 1_000)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(installConfigOf(secret, 'salesforce', q, 1_000)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(installConfigOf(secret, 'hubspot', { ...q, exp: '9999999' }, 1_000)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(installConfigOf(randomBytes(32), 'hubspot', q, 1_000)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(installConfigOf(secret, 'hubspot', { ...q, config: '../x.yaml' }, 1_000)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(() => installConfigQuery(secret, 'hubspot', 'sub/acme.yaml', 2_000)).toThrow(/no folders/);
  });
});
