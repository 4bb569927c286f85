import { z } from 'zod';
import type { CrmConfig } from '../core/model.ts';

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

const kindKey = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a CRM name: lower-case letters, digits, "-" and "_"');
const perObjectType = z.record(kindKey, crmObjectMappingSchema);

/**
 * CRM name → one mapping for all its records (`crm.hubspot: { fields, write, … }`), or a mapping
 * per object type (`crm.salesforce.lead`, `crm.salesforce.contact`). The form is chosen by the
 * presence of `fields`/`write`, so an error names its real path instead of "no union matched".
 * Which CRM names exist is the registry's business (src/app), not the config's.
 */
export const crmSchema = z.record(kindKey, z.record(z.string(), z.unknown())).transform((crms, ctx) => {
  const out: CrmConfig = {};
  for (const [crm, entry] of Object.entries(crms)) {
    const single = 'fields' in entry || 'write' in entry;
    const parsed = (single ? crmObjectMappingSchema : perObjectType).safeParse(entry);
    if (parsed.success) out[crm] = parsed.data;
    else
      for (const issue of parsed.error.issues)
        ctx.issues.push({ ...issue, input: entry, path: [crm, ...issue.path] } as never);
  }
  return out;
});
