import type { Job } from 'bullmq';
import { decaySweep, type DecaySweepDeps } from './decay-sweep.ts';
import { escalationSweep, type EscalationSweepDeps } from './escalation-sweep.ts';
import { eraseUninstalled, type EraseDeps } from './erase-uninstalled.ts';
import { sweepStranded, type SweepDeps } from './sweep-stranded.ts';

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
  decay?: DecaySweepDeps;
  reconcile?: () => Promise<unknown>;
  sla?: EscalationSweepDeps;
}) {
  return async (job: Job): Promise<unknown> => {
    switch (job.name) {
      case MAINTENANCE_JOB.sweepStranded:
        return sweepStranded(deps.sweep);
      case MAINTENANCE_JOB.reconcile:
        return deps.reconcile ? deps.reconcile() : { tenants: 0 };
      case MAINTENANCE_JOB.slaDue:
        return deps.sla ? escalationSweep(deps.sla) : { tenants: 0 };
      case MAINTENANCE_JOB.decayDue:
        return deps.decay ? decaySweep(deps.decay) : { tenants: 0 };
      case MAINTENANCE_JOB.eraseUninstalled:
        return deps.eraseUninstalled ? eraseUninstalled(deps.eraseUninstalled) : { erased: 0 };
      default:
        throw new Error(`unknown maintenance job "${job.name}"`);
    }
  };
}
