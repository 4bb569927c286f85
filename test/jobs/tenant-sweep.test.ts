import { describe, expect, it } from 'vitest';
import { sweepTenants } from '../../jobs/tenant-sweep.ts';
import { CrmRateLimitedError, CrmTransientError } from '../../src/platform/crm-errors.ts';
import { createLogger } from '../../src/platform/logger.ts';

const a = { crm: 'hubspot', id: 'a' };
const b = { crm: 'hubspot', id: 'b' };
const c = { crm: 'hubspot', id: 'c' };

describe('sweepTenants (the decay and SLA sweeps)', () => {
  it('runs each tenant while there is more, up to its limit; a failing or rate-limited tenant does not stop the others', async () => {
    const runs: string[] = [];
    const left = new Map([
      ['a', 3],
      ['b', 50],
      ['c', 1],
    ]);
    const out = await sweepTenants(
      {
        tenants: async () => [a, b, c, { crm: 'hubspot', id: 'unserved' }],
        log: createLogger('silent'),
        run: async (t) => {
          runs.push(t.id);
          if (t.id === 'unserved') return null;
          if (t.id === 'c') throw new CrmTransientError('502');
          if (t.id === 'b' && runs.filter((r) => r === 'b').length === 2) throw new CrmRateLimitedError(1_000);
          const n = left.get(t.id)! - 1;
          left.set(t.id, n);
          return { more: n > 0, written: 2 };
        },
      },
      { what: 'test', maxRuns: 10, count: (s) => s.written },
    );
    expect(runs).toEqual(['a', 'a', 'a', 'b', 'b', 'c', 'unserved']);
    expect(out).toEqual({ tenants: 4, done: 8 }); // a: 3 runs, b: 1 run before its 429
  });

  it('stops a tenant after maxRuns even if it says there is more (the next sweep goes on)', async () => {
    let n = 0;
    const out = await sweepTenants(
      { tenants: async () => [a], log: createLogger('silent'), run: async () => (n++, { more: true }) },
      { what: 'test', maxRuns: 5, count: () => 1 },
    );
    expect(n).toBe(5);
    expect(out.done).toBe(5);
  });
});
