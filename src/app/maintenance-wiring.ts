import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { decayTenant } from '../../jobs/decay-tenant.ts';
import { escalateTenant } from '../../jobs/escalate-tenant.ts';
import { MAINTENANCE_JOB, maintenanceProcessor } from '../../jobs/maintenance-processor.ts';
import { reconcileTenant } from '../../jobs/reconcile-tenant.ts';
import type { Clock } from '../platform/clock.ts';
import type { Env } from '../platform/env.ts';
import { type Keys, QUEUE } from '../platform/keys.ts';
import type { Logger } from '../platform/logger.ts';
import { requestRecompute, type Queues } from '../platform/queues.ts';
import type { TenantDirectory } from '../platform/tenant-directory.ts';
import { tenantKey } from '../platform/tenant.ts';
import type { ActivityStore } from '../store/activity-store.ts';
import type { DecayStore } from '../store/decay-store.ts';
import type { OwnerAwayStore } from '../store/owner-away-store.ts';
import type { ScoreLedger } from '../store/score-ledger.ts';
import type { SlaStore } from '../store/sla-store.ts';
import type { TenantStore } from '../store/tenant-store.ts';
import type { WorkerStore } from '../store/worker-store.ts';
import type { CrmProvider } from './crm-provider.ts';

/** What the time-driven jobs share with the rest of the worker process. */
export interface MaintenanceContext {
  env: Env;
  log: Logger;
  clock: Clock;
  redis: Redis;
  keys: Keys;
  queues: Queues;
  crms: CrmProvider;
  directory: TenantDirectory;
  store: WorkerStore;
  decay: DecayStore;
  ledger: ScoreLedger;
  activities: ActivityStore;
  sla: SlaStore;
  away: OwnerAwayStore;
  tenantStore: TenantStore | null;
  configVersionOf: (own: string | undefined) => { configVersion?: string };
  /** Its own blocking connection (BullMQ workers must not share one). */
  connection: Redis;
  lockDuration: number;
}

/**
 * The maintenance worker: the time-driven use cases (stranded sweep, decay, SLA escalation,
 * reconciliation, erasing uninstalled tenants), each on a BullMQ job scheduler — one schedule in
 * Redis for every worker process, so each runs once per interval whatever the number of workers.
 */
export async function startMaintenance(ctx: MaintenanceContext): Promise<Worker> {
  const { env, log, clock, redis, keys, queues, crms, directory, store, decay, ledger, activities, sla, away } = ctx;
  const { configVersionOf, lockDuration, connection, tenantStore } = ctx;
  const maintenance = new Worker(
    QUEUE.maintenance,
    maintenanceProcessor({
      sweep: {
        tenantsWithWork: () => store.tenantsWithWork(),
        isServed: async (t) => (await crms.serve(t)) !== null,
        requestRecompute: (t) => requestRecompute(queues.recompute, t, 0),
        log,
      },
      decay: {
        tenants: () => decay.tenants(),
        run: async (t) => {
          const served = await crms.serve(t);
          if (!served) return null;
          return decayTenant(t, {
            config: served.record.config,
            crm: served.crm,
            activities,
            decay,
            ledger,
            clock,
            log,
            batchSize: env.RECOMPUTE_BATCH_SIZE,
            ...configVersionOf(served.record.configVersion),
            markPending: async (tt, refs) => {
              await store.markPending(tt, refs);
              await requestRecompute(queues.recompute, tt, 0);
            },
          });
        },
        log,
      },
      sla: {
        tenants: () => sla.tenants(),
        run: async (t) => {
          const served = await crms.serve(t);
          if (!served) return null;
          return escalateTenant(t, {
            config: served.record.config,
            crm: served.crm,
            sla,
            activities,
            ledger: store,
            clock,
            log,
            batchSize: 100,
            awayOwners: () => away.away(clock.now().getTime()),
            snapshots: (tt, ids) => decay.snapshots(tt, ids),
          });
        },
        log,
      },
      // The reconciliation sweep: every listed tenant, records modified since its watermark.
      reconcile: async () => {
        const results = [];
        for (const record of await directory.list()) {
          const served = await crms.serve(record.tenant);
          if (!served) continue;
          try {
            results.push(
              await reconcileTenant(record.tenant, {
                crm: served.crm,
                known: decay,
                clock,
                maxRecords: 10_000,
                maxQuotaShare: env.NONURGENT_MAX_QUOTA_SHARE,
                markPending: async (t, refs) => {
                  await store.markPending(t, refs);
                  await requestRecompute(queues.recompute, t, 0);
                },
                watermark: {
                  get: async (t) => Number(await redis.get(keys.reconcileWatermark(t))) || null,
                  set: async (t, ms) => void (await redis.set(keys.reconcileWatermark(t), String(ms))),
                },
              }),
            );
          } catch (err) {
            log.warn(
              { tenant: tenantKey(record.tenant), err: (err as Error).message },
              'reconciliation sweep stopped for a tenant',
            );
          }
        }
        return results;
      },
      ...(tenantStore
        ? {
            eraseUninstalled: { store: tenantStore, afterMs: env.TENANT_ERASE_AFTER_MS, now: () => clock.now(), log },
          }
        : {}),
    }),
    { connection, prefix: keys.prefix, concurrency: 1, lockDuration },
  );
  // One schedule for every worker process (upsert is idempotent): state in Redis, not in memory.
  await queues.maintenance.upsertJobScheduler(
    MAINTENANCE_JOB.sweepStranded,
    { every: env.SWEEP_STRANDED_MS },
    { name: MAINTENANCE_JOB.sweepStranded },
  );
  await queues.maintenance.upsertJobScheduler(
    MAINTENANCE_JOB.reconcile,
    { every: env.SWEEP_INTERVAL_MS },
    { name: MAINTENANCE_JOB.reconcile },
  );
  await queues.maintenance.upsertJobScheduler(
    MAINTENANCE_JOB.slaDue,
    { every: env.SLA_SWEEP_MS },
    { name: MAINTENANCE_JOB.slaDue },
  );
  await queues.maintenance.upsertJobScheduler(
    MAINTENANCE_JOB.decayDue,
    { every: env.DECAY_SWEEP_MS },
    { name: MAINTENANCE_JOB.decayDue },
  );
  if (tenantStore)
    await queues.maintenance.upsertJobScheduler(
      MAINTENANCE_JOB.eraseUninstalled,
      { every: 3_600_000 },
      { name: MAINTENANCE_JOB.eraseUninstalled },
    );
  maintenance.on('error', (err) => log.warn({ err: err.message }, 'maintenance worker error'));
  maintenance.on('failed', (job, err) => log.warn({ job: job?.name, err: err.message }, 'maintenance job failed'));
  return maintenance;
}
