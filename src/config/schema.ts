import { z } from 'zod';
import type { LeadstageConfig } from '../core/model.ts';
import { crmSchema } from './crm-schema.ts';
import { engagementSchema, fitSchema, qualificationSchema } from './scoring-schema.ts';
import {
  assignmentSchema,
  businessHoursSchema,
  escalationSchema,
  lifecycleSchema,
  taskRuleSchema,
} from './workflow-schema.ts';

/** The whole admin config file (config/leadstage.yaml), as validated at load. */
export const configSchema = z.strictObject({
  version: z.literal(1),
  engagement: engagementSchema,
  fit: fitSchema,
  qualification: qualificationSchema.default({ criteria: {} }),
  lifecycle: lifecycleSchema,
  businessHours: businessHoursSchema,
  tasks: z.array(taskRuleSchema).default([]),
  assignment: assignmentSchema.default({ keepExistingOwner: true, owners: [], pools: [], teams: [] }),
  escalation: escalationSchema.optional(),
  crm: crmSchema,
});

/** Compile-time check: what validation returns is the core's model. */
export type ValidatedConfig = z.output<typeof configSchema>;
const _modelCheck = (c: ValidatedConfig): LeadstageConfig => c;
void _modelCheck;

export type * from '../core/model.ts';
