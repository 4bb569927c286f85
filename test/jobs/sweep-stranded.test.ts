import { describe, expect, it } from 'vitest';
import { sweepStranded } from '../../jobs/sweep-stranded.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { FakeRecomputeStore } from '../fakes/fake-stores.ts';

describe('sweepStranded', () => {
  it('asks for a recompute of every served tenant with contacts pending or in flight', async () => {
    const store = new FakeRecomputeStore();
    await store.markPending({ crm: 'hubspot', id: '1' }, [{ objectType: 'contact', id: 'a' }]);
    await store.markPending({ crm: 'salesforce', id: '00D000000000001' }, [{ objectType: 'lead', id: 'b' }]);
    await store.takeBatch({ crm: 'salesforce', id: '00D000000000001' }, 10); // now in flight only
    await store.markPending({ crm: 'hubspot', id: 'gone' }, [{ objectType: 'contact', id: 'c' }]);
    await store.markPending({ crm: 'hubspot', id: 'empty' }, []);
    const asked: string[] = [];
    const r = await sweepStranded({
      tenantsWithWork: () => store.tenantsWithWork(),
      isServed: async (t) => t.id !== 'gone',
      requestRecompute: async (t) => void asked.push(`${t.crm}:${t.id}`),
      log: createLogger('silent'),
    });
    expect(asked.sort()).toEqual(['hubspot:1', 'salesforce:00D000000000001']);
    expect(r).toEqual({ tenants: 3, requeued: 2 });
  });
});
