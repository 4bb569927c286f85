// The rescore use case wired to the Redis stores, as `leadstage rescore` wires it, for the benchmarks.
import type { Redis } from 'ioredis';
import type { RescoreDeps } from '../jobs/rescore-tenant.ts';
import type { LeadstageConfig } from '../src/core/model.ts';
import { systemClock } from '../src/platform/clock.ts';
import type { CrmOwner, CrmPort } from '../src/platform/crm-port.ts';
import type { Keys } from '../src/platform/keys.ts';
import { ActivityStore } from '../src/store/activity-store.ts';
import { DeadLetterStore } from '../src/store/dead-letters.ts';
import { DecayStore } from '../src/store/decay-store.ts';
import { RescoreCheckpointStore } from '../src/store/rescore-checkpoints.ts';
import { ScoreLedger } from '../src/store/score-ledger.ts';
import { WorkerStore } from '../src/store/worker-store.ts';

export function rescoreDeps(redis: Redis, keys: Keys, config: LeadstageConfig, crm: CrmPort): RescoreDeps {
  const store = new WorkerStore(redis, keys);
  let owners: Promise<CrmOwner[]> | null = null;
  return {
    config,
    crm,
    store,
    clock: systemClock,
    activities: new ActivityStore(redis, keys, { maxAgeDays: config.engagement.maxAgeDays }),
    deadLetters: new DeadLetterStore(redis, keys),
    decay: new DecayStore(redis, keys),
    ledger: new ScoreLedger(redis, keys),
    checkpoints: new RescoreCheckpointStore(redis, keys),
    owners: (t) => (owners ??= crm.listOwners(t)),
    handOver: (t, refs) => store.markPending(t, refs),
  };
}
