import type { Job } from 'bullmq';
import { eraseUninstalled, type EraseDeps } from './erase-uninstalled.ts';
import { sweepStranded, type SweepDeps } from './sweep-stranded.ts';

/** Job names on the maintenance queue, each run by a BullMQ job scheduler. */
export const MAINTENANCE_JOB = { sweepStranded: 'sweep-stranded', eraseUninstalled: 'erase-uninstalled' } as const;

/** The BullMQ shell of the time-driven use cases: dispatch on the job's name. */
export function maintenanceProcessor(deps: { sweep: SweepDeps; eraseUninstalled?: EraseDeps }) {
  return async (job: Job): Promise<unknown> => {
    switch (job.name) {
      case MAINTENANCE_JOB.sweepStranded:
        return sweepStranded(deps.sweep);
      case MAINTENANCE_JOB.eraseUninstalled:
        return deps.eraseUninstalled ? eraseUninstalled(deps.eraseUninstalled) : { erased: 0 };
      default:
        throw new Error(`unknown maintenance job "${job.name}"`);
    }
  };
}
