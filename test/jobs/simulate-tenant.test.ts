import { describe, expect, it } from 'vitest';
import { dryRunStore, readingConfig, ReadOnlyViolation, simulateTenant } from '../../jobs/simulate-tenant.ts';
import type { LeadstageConfig } from '../../src/core/model.ts';
import { defaultConfig, NOW } from '../helpers/fixtures.ts';
import { FakeCrm } from '../fakes/fake-crm.ts';
import { FakeRecomputeStore } from '../fakes/fake-stores.ts';

const tenant = { crm: 'hubspot', id: '62515' };
const strongFit = { jobTitle: 'VP Marketing', industry: 'Software', employeeBand: '100-500', country: 'United States' };

function withMqlBar(minEngagement: number): LeadstageConfig {
  const c = defaultConfig();
  c.lifecycle.criteria['marketingqualifiedlead'] = { ...c.lifecycle.criteria['marketingqualifiedlead'], minEngagement };
  return c;
}

describe('simulateTenant', () => {
  it('picks owners from where the shared rotation stands, and leaves it there', async () => {
    const store = new FakeRecomputeStore();
    await store.commitRotation(tenant, 'default', '0', { 'rep-1': -1, 'rep-2': 1 }); // rep-1 was picked last
    const crm = new FakeCrm('hubspot');
    crm.owners = [
      { id: '1001', active: true },
      { id: '1002', active: true },
      { id: '1003', active: true },
    ];
    for (const id of ['1', '2', '3'])
      crm.add({ objectType: 'contact', id, stage: 'lead', leadStatus: null, ownerId: null, fields: strongFit });
    const act = [
      { id: 'd', type: 'content_download', at: NOW.getTime() - 60_000, attributes: {} },
      { id: 'o', type: 'email_open', at: NOW.getTime() - 60_000, attributes: {} },
    ];
    const r = await simulateTenant(tenant, {
      crm,
      activities: { activitiesMany: async (_t, ids) => new Map(ids.map((id) => [id, act])) },
      state: store,
      owners: async () => crm.listOwners(),
      awayOwners: async () => new Map(),
      current: withMqlBar(25),
      next: withMqlBar(10),
      now: NOW,
    });
    expect(r.contacts.map((c) => c.after.taskOwners)).toEqual([['1002'], ['1001'], ['1001']]);
    expect(r.contacts.map((c) => [c.before.stage, c.after.stage])).toEqual(
      Array(3).fill(['lead', 'marketingqualifiedlead']),
    );
    expect(store.rotation.get('hubspot:62515:default')).toEqual({ v: 1, credits: { 'rep-1': -1, 'rep-2': 1 } });
    expect({ pages: r.pages, crmCalls: r.crmCalls }).toEqual({ pages: 1, crmCalls: 2 }); // one page + the owners, once for both configs
  });

  it('skips owners marked away, as a recompute would', async () => {
    const crm = new FakeCrm('hubspot');
    crm.owners = [
      { id: '1001', active: true },
      { id: '1002', active: true },
      { id: '1003', active: true },
    ];
    crm.add({ objectType: 'contact', id: '1', stage: 'lead', leadStatus: null, ownerId: null, fields: strongFit });
    const act = [{ id: 'd', type: 'demo_request', at: NOW.getTime() - 60_000, attributes: {} }];
    const r = await simulateTenant(tenant, {
      crm,
      activities: { activitiesMany: async (_t, ids) => new Map(ids.map((id) => [id, act])) },
      state: new FakeRecomputeStore(),
      owners: async () => crm.owners,
      awayOwners: async (nowMs) => new Map([['rep-1', nowMs + 1000]]),
      current: defaultConfig(),
      next: defaultConfig(),
      now: NOW,
    });
    expect(r.contacts[0]!.after.taskOwners).toEqual(['1002']);
  });
});

describe('dryRunStore', () => {
  it('keeps its commits in memory and never commits to the shared state', async () => {
    const base = new FakeRecomputeStore();
    await base.commitRotation(tenant, 'p', '0', { a: 1 });
    const dry = dryRunStore(base);
    const snap = await dry.loadRotation(tenant, ['p']);
    expect(snap.credits).toEqual({ p: { a: 1 } });
    expect(await dry.commitRotation(tenant, 'p', snap.versions['p']!, { a: 5 })).toBe(true);
    expect((await dry.loadRotation(tenant, ['p'])).credits).toEqual({ p: { a: 5 } });
    expect(base.rotation.get('hubspot:62515:p')).toEqual({ v: 1, credits: { a: 1 } });
  });

  it.each(['recordEntries', 'takeBatch', 'finish', 'claimTasks', 'confirmTask', 'releaseTask'] as const)(
    'refuses %s',
    async (method) => {
      const dry = dryRunStore(new FakeRecomputeStore()) as unknown as Record<string, () => Promise<unknown>>;
      await expect(dry[method]!()).rejects.toBeInstanceOf(ReadOnlyViolation);
    },
  );
});

describe('readingConfig', () => {
  it.each([
    [
      'a field only the new config maps is read too',
      { seniority: 'hs_seniority' },
      { seniority: 'hs_seniority', email: 'email' },
      [],
    ],
    [
      'a field mapped to another property keeps the current one, and says so',
      { email: 'work_email' },
      { email: 'email' },
      ['crm.hubspot.fields.email'],
    ],
    ['the same mapping changes nothing', { email: 'email' }, { email: 'email' }, []],
  ])('%s', (_name, nextFields, expected, conflicts) => {
    const current = defaultConfig();
    const next = defaultConfig();
    const hs = next.crm['hubspot'] as { fields: Record<string, string> };
    Object.assign(hs, { fields: { ...hs.fields, ...nextFields } });
    const r = readingConfig(current, next, 'hubspot');
    expect((r.config.crm['hubspot'] as { fields: Record<string, string> }).fields).toMatchObject(expected);
    expect(r.conflicts).toEqual(conflicts);
    expect(r.config.lifecycle).toBe(current.lifecycle); // only the mapping differs from the current config
  });

  it('merges per record kind for a CRM with one mapping per kind (Salesforce)', () => {
    const current = defaultConfig();
    const next = defaultConfig();
    const sf = next.crm['salesforce'] as Record<string, { fields: Record<string, string> }>;
    sf['lead']!.fields = { ...sf['lead']!.fields, seniority: 'Seniority__c' };
    const merged = readingConfig(current, next, 'salesforce').config.crm['salesforce'] as Record<
      string,
      { fields: Record<string, string> }
    >;
    expect(merged['lead']!.fields['seniority']).toBe('Seniority__c');
    expect(merged['contact']!.fields['seniority']).toBeUndefined();
  });
});
