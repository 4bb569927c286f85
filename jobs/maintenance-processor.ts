import type { Job } from 'bullmq';
import { sweepStranded, type SweepDeps } from './sweep-stranded.ts';

/** Job names on the maintenance queue, each run by a BullMQ job scheduler. */
export const MAINTENANCE_JOB = { sweepStranded: 'sweep-stranded' } as const;

/** The BullMQ shell of the time-driven use cases: dispatch on the job's name. */
export function maintenanceProcessor(deps: { sweep: SweepDeps }) {
  return async (job: Job): Promise<unknown> => {
    switch (job.name) {
      case MAINTENANCE_JOB.sweepStranded:
        return sweepStranded(deps.sweep);
      default:
        throw new Error(`unknown maintenance job "${job.name}"`);
    }
  };
}
