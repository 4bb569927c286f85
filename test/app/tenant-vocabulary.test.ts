import { describe, expect, it } from 'vitest';
import { tenantVocabulary } from '../../src/app/tenant-vocabulary.ts';
import { crmModule } from '../../src/app/crm-registry.ts';
import { FakeTenantDirectory } from '../fakes/fake-tenant-directory.ts';
import { defaultConfig } from '../helpers/fixtures.ts';

// A tenant's own config decides which activity types its webhooks may carry and which properties
// are leadstage's own writes (their change webhooks are echoes): not the default config.
const base = defaultConfig();
const acme = structuredClone(base);
acme.engagement.customActivityTypes = ['trial_extended'];
(acme.crm['hubspot'] as { write: { score?: string } }).write.score = 'acme_lead_score';

function setup() {
  const directory = new FakeTenantDirectory();
  directory.put({ tenant: { crm: 'hubspot', id: '1' }, status: 'active', credentials: {}, config: acme });
  directory.put({ tenant: { crm: 'hubspot', id: '2' }, status: 'active', credentials: {}, config: base });
  let reads = 0;
  const counting = {
    get: async (t: { crm: string; id: string }) => (reads++, directory.get(t)),
    list: () => directory.list(),
  };
  let clock = 0;
  const vocabulary = tenantVocabulary({
    directory: counting,
    ownPropertiesOf: (source, c) => crmModule(source)?.ownProperties?.(c) ?? [],
    ttlMs: 1_000,
    now: () => clock,
  });
  return { vocabulary, reads: () => reads, advance: (ms: number) => (clock += ms) };
}

describe('tenantVocabulary', () => {
  it("gives each tenant its own config's activity types and written properties", async () => {
    const { vocabulary } = setup();
    const a = (await vocabulary({ crm: 'hubspot', id: '1' }))!;
    const b = (await vocabulary({ crm: 'hubspot', id: '2' }))!;
    expect(a.activityTypes.has('trial_extended')).toBe(true);
    expect(b.activityTypes.has('trial_extended')).toBe(false);
    expect(a.activityTypes.has('demo_request')).toBe(true); // built-in types for everyone
    expect(a.ownProperties('hubspot').has('acme_lead_score')).toBe(true);
    expect(a.ownProperties('hubspot').has('leadstage_score')).toBe(false);
    expect(b.ownProperties('hubspot').has('leadstage_score')).toBe(true);
    expect(await vocabulary({ crm: 'hubspot', id: '3' })).toBeNull();
  });

  it('reads the directory once per tenant and interval, not per event', async () => {
    const { vocabulary, reads, advance } = setup();
    for (let i = 0; i < 50; i++) await vocabulary({ crm: 'hubspot', id: '1' });
    expect(reads()).toBe(1);
    advance(1_001);
    await vocabulary({ crm: 'hubspot', id: '1' });
    expect(reads()).toBe(2);
  });
});
