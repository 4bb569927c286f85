import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { IngestBatch, type BatchLimits, type BatchResult } from './ingest-batch.ts';
import { SETTLE_SCRIPT } from './ingest-script.ts';
import { EMAIL_GROUP, type Keys } from '../platform/keys.ts';
import { tenantKey, type IngressOp, type Tenant } from '../platform/tenant.ts';

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
  keys: Keys;
  /** Ask for a recompute job for a tenant, after `windowMs` (one per tenant; extra asks are absorbed). */
  requestRecompute: (tenant: Tenant, windowMs: number) => Promise<void>;
  /** Ask for a job that resolves e-mail-addressed events. */
  requestResolve: (windowMs: number) => Promise<void>;
  batchWindowMs: number;
  limits: BatchLimits;
  /** How long a confirmed delivery is remembered (longer than any CRM retries). */
  deliveryTtlMs: number;
}

function tenantOf(op: IngressOp): Tenant | null {
  switch (op.kind) {
    case 'activity':
    case 'touch':
    case 'erase':
      return op.contact.tenant;
    case 'merge':
    case 'engagement':
      return op.tenant;
    case 'unresolved':
      return null;
  }
}

/**
 * Make ops durable. Per hash-tag group (a tenant, or the e-mail bucket) one script claims the
 * deliveries and applies the claimed ops atomically; then one recompute job per touched tenant is
 * requested and the claims are confirmed. On any failure the claims are released and the error
 * rethrown, so the caller answers non-2xx and the CRM retries: nothing is lost, and a retry
 * rewrites the same state (activities are keyed by id). Round trips per request are constant.
 */
export async function ingest(ops: readonly IngressOp[], deps: IngestDeps): Promise<IngestResult> {
  const token = randomUUID();
  const batches = new Map<string, IngestBatch>();
  const tenants = new Map<string, Tenant>();
  const batchFor = (group: string, pendingKey: string) => {
    let b = batches.get(group);
    if (!b) batches.set(group, (b = new IngestBatch(deps.keys, group, pendingKey)));
    return b;
  };
  ops.forEach((op) => {
    const tenant = tenantOf(op);
    if (!tenant) {
      const b = batchFor(EMAIL_GROUP, deps.keys.unresolvedPending());
      if (op.kind === 'unresolved') b.unresolved(op.deliveryKey, op.emailHash, op.email, op.activity);
      return;
    }
    const group = tenantKey(tenant);
    tenants.set(group, tenant);
    const b = batchFor(group, deps.keys.pending(tenant));
    switch (op.kind) {
      case 'activity':
        b.activity(op.deliveryKey, op.contact, op.activity);
        break;
      case 'touch':
        b.touch(op.deliveryKey, op.contact, op.restore === true);
        break;
      case 'erase':
        b.erase(op.deliveryKey, op.contact, op.privacy);
        break;
      case 'merge':
        b.merge(op.deliveryKey, op.tenant, op.survivorId, op.mergedIds);
        break;
      case 'engagement':
        b.engagement(op.deliveryKey, op.tenant, op.engagementId, op.meta, op.contactIds, op.engagementId);
        break;
    }
  });

  const settled = await Promise.allSettled(
    [...batches.values()].map(async (b) => ({ b, r: await b.run(deps.redis, token, deps.limits) })),
  );
  const ran = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const claimedIn = (b: IngestBatch, r: BatchResult) => b.deliveryKeys.filter((d) => r.states.get(d) === 'claimed');
  const settle = (how: 'confirm' | 'release') =>
    Promise.all(
      ran.map(({ b, r }) => {
        const keys = claimedIn(b, r).map((d) => b.deliveryRedisKey(d));
        return keys.length ? SETTLE_SCRIPT.run(deps.redis, keys, [token, how, deps.deliveryTtlMs]) : undefined;
      }),
    );

  try {
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;

    // Engagements complete on both halves: store the activity for each of its contacts.
    const followUps = new Map<string, IngestBatch>();
    for (const { b, r } of ran) {
      const tenant = tenants.get(b.group);
      if (!tenant || r.links.length === 0) continue;
      let fb = followUps.get(b.group);
      if (!fb) followUps.set(b.group, (fb = new IngestBatch(deps.keys, b.group, deps.keys.pending(tenant))));
      for (const link of r.links) {
        for (const id of link.contactIds)
          fb.activity(
            null,
            { tenant, objectType: 'contact', id },
            { id: `hubspot:engagement:${link.tag}`, ...link.meta },
          );
      }
    }
    await Promise.all([...followUps.values()].map((fb) => fb.run(deps.redis, token, deps.limits)));

    const state = (d: string) => ran.find(({ r }) => r.states.has(d))?.r.states.get(d);
    const touched = [...tenants.entries()].filter(([group]) => {
      const run = ran.find(({ b }) => b.group === group);
      return run !== undefined && claimedIn(run.b, run.r).length > 0;
    });
    const resolveNeeded = ran.some(({ b, r }) => b.group === EMAIL_GROUP && claimedIn(b, r).length > 0);
    await Promise.all([
      // The sweeper's index of tenants with work (a set outside any hash tag: not in the script).
      ...(touched.length ? [deps.redis.sadd(deps.keys.workTenants(), ...touched.map(([k]) => k))] : []),
      ...touched.map(([, t]) => deps.requestRecompute(t, deps.batchWindowMs)),
      ...(resolveNeeded ? [deps.requestResolve(deps.batchWindowMs)] : []),
    ]);
    await settle('confirm');

    let accepted = 0,
      duplicates = 0,
      busy = 0;
    for (const op of ops) {
      const s = state(op.deliveryKey);
      if (s === 'claimed') accepted++;
      else if (s === 'duplicate') duplicates++;
      else busy++;
    }
    return { accepted, duplicates, busy };
  } catch (err) {
    await settle('release').catch(() => undefined); // Redis may be the thing that failed
    throw err;
  }
}
