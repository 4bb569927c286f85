import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CrmPort } from '../src/platform/crm-port.ts';
import { IngestBatch, type BatchLimits } from '../src/store/ingest-batch.ts';
import type { Keys } from '../src/platform/keys.ts';
import { tenantKey, type Activity, type Tenant } from '../src/platform/tenant.ts';
import type { Logger } from '../src/platform/logger.ts';
import type { WorkerStore } from '../src/store/worker-store.ts';
import { requestRecompute, requestResolve, type Queues } from '../src/platform/queues.ts';

export interface ResolveDeps {
  redis: Redis;
  keys: Keys;
  store: WorkerStore;
  queues: Queues;
  /** Every connected CRM account an address may belong to. */
  crms: () => Promise<{ tenant: Tenant; crm: CrmPort }[]>;
  limits: BatchLimits;
  batchWindowMs: number;
  batchSize: number;
  log: Logger;
}

export interface ResolveSummary {
  addresses: number;
  matched: number;
  contacts: number;
  activities: number;
}

/**
 * Match feed events that were addressed by e-mail only to CRM contacts: look the addresses up in
 * every connected account, copy their activities to each matching contact (a Lead and a Contact
 * in two CRMs may share one address), mark those contacts pending and queue their recompute.
 * Unmatched addresses keep their activities (until they expire) for when a later event brings
 * them back: the contact may simply not exist yet.
 */
export async function resolveEmails(deps: ResolveDeps): Promise<ResolveSummary> {
  const hashes = await deps.store.takeEmailBatch(deps.batchSize);
  const summary: ResolveSummary = { addresses: hashes.length, matched: 0, contacts: 0, activities: 0 };
  if (hashes.length === 0) return summary;

  const p = deps.redis.pipeline();
  for (const h of hashes) p.hgetall(deps.keys.unresolved(h));
  const rows = ((await p.exec()) ?? []).map(([err, v]) => {
    if (err) throw err;
    return v as Record<string, string>;
  });
  const byEmail = new Map<string, { hash: string; activities: Activity[] }>();
  hashes.forEach((hash, i) => {
    const { __email: email, ...acts } = rows[i] ?? {};
    if (!email) return; // expired meanwhile
    byEmail.set(email, {
      hash,
      activities: Object.entries(acts).map(([id, json]) => ({ id, ...(JSON.parse(json) as Omit<Activity, 'id'>) })),
    });
  });

  const matchedHashes = new Set<string>();
  const token = randomUUID();
  for (const { tenant, crm } of await deps.crms()) {
    const found = await crm.findByEmail(tenant, [...byEmail.keys()]);
    if (found.size === 0) continue;
    const batch = new IngestBatch(deps.keys, tenantKey(tenant), deps.keys.pending(tenant));
    for (const [email, refs] of found) {
      const entry = byEmail.get(email);
      if (!entry) continue;
      matchedHashes.add(entry.hash);
      for (const ref of refs) {
        summary.contacts += 1;
        for (const a of entry.activities) {
          batch.activity(null, { tenant, objectType: ref.objectType, id: ref.id }, a);
          summary.activities += 1;
        }
      }
    }
    if (batch.size > 0) {
      await batch.run(deps.redis, token, deps.limits);
      await requestRecompute(deps.queues.recompute, tenant, deps.batchWindowMs);
    }
  }
  summary.matched = matchedHashes.size;
  if (matchedHashes.size) await deps.redis.del(...[...matchedHashes].map((h) => deps.keys.unresolved(h)));
  await deps.store.finishEmailBatch(hashes);
  if ((await deps.redis.scard(deps.keys.unresolvedPending())) > 0) await requestResolve(deps.queues.resolve, 0);
  deps.log.info(
    {
      addresses: summary.addresses,
      matched: summary.matched,
      contacts: summary.contacts,
      activities: summary.activities,
    },
    'e-mail addresses resolved',
  );
  return summary;
}
