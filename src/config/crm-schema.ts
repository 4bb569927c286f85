import { z } from 'zod';

const crmName = z.string().min(1);

/** How one CRM object (HubSpot contact, Salesforce Lead or Contact) maps to leadstage's fields. */
export const crmObjectMappingSchema = z.strictObject({
  /** Canonical field name (used by rules) → the CRM's property or field API name, for reading. */
  fields: z.record(z.string(), crmName),
  /** Where leadstage writes its results. Omit one to not write it. */
  write: z.strictObject({
    score: crmName.optional(),
    fitGrade: crmName.optional(),
    reasons: crmName.optional(),
    stage: crmName.optional(),
    leadStatus: crmName.optional(),
    scoredAt: crmName.optional(),
    /** The reason text is cut to this length (Salesforce text fields hold 255). */
    reasonsMaxLength: z.number().int().positive().default(255),
  }),
  /** leadstage stage → the CRM's value; stages not listed map to themselves. */
  stageValues: z.record(z.string(), crmName).default({}),
  /** leadstage lead status (new, nurture, unqualified, …) → the CRM's value. */
  leadStatusValues: z.record(z.string(), crmName).default({}),
});

export const crmSchema = z.strictObject({
  hubspot: crmObjectMappingSchema.optional(),
  salesforce: z
    .strictObject({ lead: crmObjectMappingSchema.optional(), contact: crmObjectMappingSchema.optional() })
    .optional(),
});

export type CrmObjectMapping = z.infer<typeof crmObjectMappingSchema>;
export type CrmConfig = z.infer<typeof crmSchema>;
