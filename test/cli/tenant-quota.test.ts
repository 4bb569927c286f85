import { describe, expect, it } from 'vitest';
import { tenantQuota } from '../../src/cli/tenant-quota.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// The quota `simulate` prices the change at: HubSpot's limits by app type (crm-facts, "HubSpot
// limits by app type": OAuth 110 / 10 s; private apps 100, or 190 on Professional and Enterprise).
const env = (extra: Record<string, string> = {}) => {
  const r = parseEnv({ REDIS_URL, ...extra }, { web: false });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.env;
};
const hs = (tier?: string) => ({ tenant: { crm: 'hubspot', id: '62515' }, ...(tier ? { tier } : {}) });

describe('tenantQuota', () => {
  it.each([
    ['HubSpot OAuth app', hs('oauth:unknown'), {}, null, { max: 110, windowMs: 10_000 }],
    ['HubSpot private app, Professional', hs('private:professional'), {}, null, { max: 190, windowMs: 10_000 }],
    ['HubSpot, tier unknown: the safe side', hs(), {}, null, { max: 100, windowMs: 10_000 }],
    [
      'HubSpot, set in the environment',
      hs('oauth:unknown'),
      { HUBSPOT_REQUESTS_PER_WINDOW: '50' },
      null,
      { max: 50, windowMs: 10_000 },
    ],
    [
      'the limit HubSpot announced wins',
      hs('oauth:unknown'),
      {},
      { max: 190, windowMs: 10_000 },
      { max: 190, windowMs: 10_000 },
    ],
    [
      'Salesforce from the environment',
      { tenant: { crm: 'salesforce', id: '00D5g000004Sxyz' } },
      { SALESFORCE_REQUESTS_PER_WINDOW: '7' },
      null,
      { max: 7, windowMs: 1_000 },
    ],
    ['a CRM it does not know', { tenant: { crm: 'pipedrive', id: '1' } }, {}, null, null],
  ])('%s', (_name, record, vars, learned, expected) => {
    expect(tenantQuota(env(vars), record, learned)).toEqual(expected);
  });
});
