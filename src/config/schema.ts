import { z } from 'zod';
import { crmSchema } from './crm-schema.ts';
import { engagementSchema, fitSchema, qualificationSchema } from './scoring-schema.ts';
import { assignmentSchema, businessHoursSchema, lifecycleSchema, taskRuleSchema } from './workflow-schema.ts';

/** The whole admin config file (config/leadstage.yaml), as validated at load. */
export const configSchema = z.strictObject({
  version: z.literal(1),
  engagement: engagementSchema,
  fit: fitSchema,
  qualification: qualificationSchema.default({ criteria: {} }),
  lifecycle: lifecycleSchema,
  businessHours: businessHoursSchema,
  tasks: z.array(taskRuleSchema).default([]),
  assignment: assignmentSchema.default({ keepExistingOwner: true, owners: [], pools: [] }),
  crm: crmSchema,
});

export type LeadstageConfig = z.infer<typeof configSchema>;
export type { Condition, FieldCondition, FieldTest, Scalar } from './condition-schema.ts';
export type { CrmConfig, CrmObjectMapping } from './crm-schema.ts';
export type { ActivityRule, BantKey, EngagementConfig, FitConfig, PropertyRule, QualificationConfig } from './scoring-schema.ts';
export type {
  AssignmentConfig, BusinessHours, Duration, LifecycleConfig, OwnerConfig, Priority, SlaRule, StageCriteria, TaskRule,
} from './workflow-schema.ts';
