import type { Redis } from 'ioredis';
import type { CrmPort } from '../src/crm/crm-port.ts';
import { pendingMember } from '../src/ingest/activity-store.ts';
import type { Keys } from '../src/ingest/keys.ts';
import type { Tenant } from '../src/ingest/ops.ts';
import { requestRecompute, type Queues } from './queues.ts';

/**
 * Mark every contact of an account pending (after a config change, say). Listing pages through
 * the shared quota; the workers then recompute in full batches, writing only what changed.
 * Returns how many contacts were queued.
 */
export async function rescoreTenant(tenant: Tenant, deps: { crm: CrmPort; redis: Redis; keys: Keys; queues: Queues }): Promise<number> {
  let queued = 0;
  for await (const page of deps.crm.listContactIds(tenant)) {
    if (page.length === 0) continue;
    await deps.redis.sadd(deps.keys.pending(tenant), ...page.map(pendingMember));
    queued += page.length;
    // Workers start on the first pages while the listing goes on.
    await requestRecompute(deps.queues.recompute, tenant, 0);
  }
  return queued;
}
