import type { Redis } from 'ioredis';
import { requestRecompute, requestResolve, type Queues } from '../../jobs/queues.ts';
import type { ChainableCommander } from 'ioredis';
import { ActivityStore } from './activity-store.ts';
import type { DeliveryLedger } from './delivery-ledger.ts';
import { tenantKey, type IngressOp, type Tenant } from './ops.ts';

export interface IngestResult {
  /** Ops made durable by this call. */
  accepted: number;
  /** Ops whose delivery was already queued before: dropped. */
  duplicates: number;
  /** Ops whose delivery another request is queueing right now: the caller must not acknowledge. */
  busy: number;
}

export interface IngestDeps {
  redis: Redis;
  ledger: DeliveryLedger;
  store: ActivityStore;
  queues: Queues;
  batchWindowMs: number;
  clock: () => number;
}

/**
 * Make ops durable: claim their deliveries, store activities and pending marks, queue one
 * recompute per touched tenant, then confirm. Any failure releases the claims and rethrows, so
 * the caller answers non-2xx and the CRM retries. Redis round trips per call are constant
 * (claim, one pipeline, engagement links, one add per tenant, confirm), not per event.
 */
export async function ingest(ops: readonly IngressOp[], deps: IngestDeps): Promise<IngestResult> {
  const keys = [...new Set(ops.map((o) => o.deliveryKey))];
  const claim = await deps.ledger.claim(keys);
  const claimed = keys.filter((k) => claim.states.get(k) === 'claimed');
  const mine = ops.filter((o) => claim.states.get(o.deliveryKey) === 'claimed');
  const duplicates = ops.filter((o) => claim.states.get(o.deliveryKey) === 'duplicate').length;
  const busy = ops.filter((o) => claim.states.get(o.deliveryKey) === 'busy').length;

  try {
    const tenants = new Map<string, Tenant>();
    let unresolved = false;
    const now = deps.clock();
    const p = deps.redis.pipeline();
    for (const op of mine) {
      switch (op.kind) {
        case 'activity':
          deps.store.storeActivity(p, op.contact, op.activity, now);
          tenants.set(tenantKey(op.contact.tenant), op.contact.tenant);
          break;
        case 'touch':
          deps.store.touch(p, op.contact, op.restore === true);
          tenants.set(tenantKey(op.contact.tenant), op.contact.tenant);
          break;
        case 'erase':
          deps.store.erase(p, op.contact, op.privacy);
          break;
        case 'merge':
          deps.store.merge(p, op.tenant, op.survivorId, op.mergedIds);
          tenants.set(tenantKey(op.tenant), op.tenant);
          break;
        case 'unresolved':
          deps.store.storeUnresolved(p, op.emailHash, op.email, op.activity, now);
          unresolved = true;
          break;
        case 'engagement':
          break; // two steps, below
      }
    }
    await execOrThrow(p);

    // Engagements: record each half, then store an activity for every contact once both are known.
    const engagements = mine.filter((o): o is Extract<IngressOp, { kind: 'engagement' }> => o.kind === 'engagement');
    if (engagements.length > 0) {
      const lp = deps.redis.pipeline();
      for (const op of engagements) deps.store.linkEngagement(lp, op.tenant, op.engagementId, op.meta, op.contactIds);
      const links = await execOrThrow(lp);
      const sp = deps.redis.pipeline();
      engagements.forEach((op, i) => {
        const linked = ActivityStore.parseLink(links[i]);
        if (!linked) return;
        for (const id of linked.contactIds) {
          deps.store.storeActivity(sp, { tenant: op.tenant, objectType: 'contact', id }, { id: `hubspot:engagement:${op.engagementId}`, ...linked.meta }, now);
        }
        tenants.set(tenantKey(op.tenant), op.tenant);
      });
      if (sp.length > 0) await execOrThrow(sp);
    }

    await Promise.all([
      ...[...tenants.values()].map((t) => requestRecompute(deps.queues.recompute, t, deps.batchWindowMs)),
      ...(unresolved ? [requestResolve(deps.queues.resolve, deps.batchWindowMs)] : []),
    ]);
    await deps.ledger.confirm(claim, claimed);
  } catch (err) {
    await deps.ledger.release(claim, claimed).catch(() => undefined); // Redis may be the thing that failed
    throw err;
  }
  return { accepted: mine.length, duplicates, busy };
}

/** Run a pipeline; the first command error fails the whole ingest (claims are then released). */
async function execOrThrow(p: ChainableCommander): Promise<unknown[]> {
  const results = (await p.exec()) ?? [];
  for (const [err] of results) if (err) throw err;
  return results.map(([, value]) => value);
}
