import type { Job } from 'bullmq';
import type { DecaySummary } from './decay-tenant.ts';
import type { EscalationSummary } from './escalate-tenant.ts';
import { eraseUninstalled, type EraseDeps } from './erase-uninstalled.ts';
import { sweepStranded, type SweepDeps } from './sweep-stranded.ts';
import { sweepTenants, type TenantSweepDeps } from './tenant-sweep.ts';

/** Job names on the maintenance queue, each run by a BullMQ job scheduler. */
export const MAINTENANCE_JOB = {
  sweepStranded: 'sweep-stranded',
  eraseUninstalled: 'erase-uninstalled',
  decayDue: 'decay-due',
  reconcile: 'reconcile',
  slaDue: 'sla-due',
} as const;

/** The BullMQ shell of the time-driven use cases: dispatch on the job's name. */
export function maintenanceProcessor(deps: {
  sweep: SweepDeps;
  eraseUninstalled?: EraseDeps;
  decay?: TenantSweepDeps<DecaySummary>;
  reconcile?: () => Promise<unknown>;
  sla?: TenantSweepDeps<EscalationSummary>;
}) {
  return async (job: Job): Promise<unknown> => {
    switch (job.name) {
      case MAINTENANCE_JOB.sweepStranded:
        return sweepStranded(deps.sweep);
      case MAINTENANCE_JOB.reconcile:
        return deps.reconcile ? deps.reconcile() : { tenants: 0 };
      case MAINTENANCE_JOB.slaDue:
        return deps.sla
          ? sweepTenants(deps.sla, {
              what: 'sla escalation',
              maxRuns: 100,
              count: (s) => s.reminded + s.reassigned + s.escalated + s.retired + s.returned,
            })
          : { tenants: 0 };
      case MAINTENANCE_JOB.decayDue:
        return deps.decay
          ? sweepTenants(deps.decay, { what: 'decay', maxRuns: 1_000, count: (s) => s.written })
          : { tenants: 0 };
      case MAINTENANCE_JOB.eraseUninstalled:
        return deps.eraseUninstalled ? eraseUninstalled(deps.eraseUninstalled) : { erased: 0 };
      default:
        throw new Error(`unknown maintenance job "${job.name}"`);
    }
  };
}
