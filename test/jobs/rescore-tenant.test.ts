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
    const n = await rescoreTenant(tenant, {
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
    const n = await rescoreTenant({ crm: 'hubspot', id: '1' }, {
      crm: new FakeCrm(), markPending: async () => undefined, requestRecompute: async () => { throw new Error('not expected'); },
    });
    expect(n).toBe(0);
  });
});
