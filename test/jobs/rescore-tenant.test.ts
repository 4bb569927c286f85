import { describe, expect, it } from 'vitest';
import { rescoreTenant } from '../../jobs/rescore-tenant.ts';
import { FakeCrm } from '../fakes/fake-crm.ts';
import { FakeRecomputeStore } from '../fakes/fake-stores.ts';

describe('rescoreTenant', () => {
  it('marks every listed contact pending page by page and asks for a recompute per page', async () => {
    const crm = new FakeCrm('salesforce');
    for (let i = 0; i < 250; i++) crm.add({ objectType: i % 2 ? 'lead' : 'contact', id: `id${i}`, stage: null, leadStatus: null, ownerId: null, fields: {} });
    const store = new FakeRecomputeStore();
    const asked: string[] = [];
    const tenant = { crm: 'salesforce', id: '00D5g000004Sxyz' };
    const { queued: n } = await rescoreTenant(tenant, {
      crm,
      markPending: (t, refs) => store.markPending(t, refs),
      requestRecompute: async (t) => void asked.push(t.id),
    });
    expect(n).toBe(250);
    expect(await store.pendingCount(tenant)).toBe(250);
    expect(asked).toHaveLength(3); // 100 + 100 + 50
    expect(crm.callLog).toEqual(['list', 'list', 'list']);
  });

  it('queues nothing for an empty account', async () => {
    const { queued: n } = await rescoreTenant({ crm: 'hubspot', id: '1' }, {
      crm: new FakeCrm(), markPending: async () => undefined, requestRecompute: async () => { throw new Error('not expected'); },
    });
    expect(n).toBe(0);
  });

  it('stops when the account has used its non-urgent share of the daily quota, keeping the rest for live work', async () => {
    const crm = new FakeCrm('salesforce');
    for (let i = 0; i < 300; i++) crm.add({ objectType: 'lead', id: `id${i}`, stage: null, leadStatus: null, ownerId: null, fields: {} });
    let share = 0.5;
    Object.assign(crm, { quotaShare: async () => (share += 0.2) }); // 0.7 before page 1, 0.9 before page 2
    const store = new FakeRecomputeStore();
    const r = await rescoreTenant({ crm: 'salesforce', id: '00D000000000001' }, {
      crm, markPending: (t, refs) => store.markPending(t, refs), requestRecompute: async () => undefined, maxQuotaShare: 0.8,
    });
    expect(r.queued).toBe(100);
    expect(r.stoppedAtQuotaShare).toBeCloseTo(0.9);
  });
});
