import { z } from 'zod';
import type { Activity, AssignmentState, ContactSnapshot } from '../core/types.ts';

const fieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const instant = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const t = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) {
    ctx.issues.push({ code: 'custom', input: v, message: 'not a date (use ISO 8601 or epoch milliseconds)' });
    return z.NEVER;
  }
  return t;
});

/**
 * The JSON shape of one contact with its activities, as `leadstage score` reads it (documented
 * in the README). Stage and lead status use leadstage's names, fields their canonical names.
 */
export const contactInputSchema = z.strictObject({
  crm: z.enum(['hubspot', 'salesforce']),
  objectType: z.enum(['contact', 'lead']).optional(),
  id: z.string().min(1),
  stage: z.string().nullable().default(null),
  leadStatus: z.string().nullable().default(null),
  ownerId: z.string().nullable().default(null),
  fields: z.record(z.string(), fieldValue).default({}),
  scored: z
    .strictObject({ score: z.number().nullable(), grade: z.string().nullable(), reasons: z.string().nullable() })
    .optional(),
  stageEntries: z.record(z.string(), z.number().int().min(0)).optional(),
  activities: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        type: z.string().min(1),
        occurredAt: instant,
        attributes: z.record(z.string(), fieldValue).default({}),
      }),
    )
    .default([]),
  assignment: z
    .strictObject({
      rotation: z.record(z.string(), z.record(z.string(), z.number())).default({}),
      unavailableOwnerIds: z.array(z.string()).optional(),
    })
    .optional(),
});

export interface ContactInput {
  contact: ContactSnapshot;
  activities: Activity[];
  assignment: AssignmentState | undefined;
}

export function toContactInput(data: z.infer<typeof contactInputSchema>): ContactInput {
  const { activities, assignment, objectType, scored, stageEntries, ...rest } = data;
  return {
    contact: {
      ...rest,
      objectType: objectType ?? (data.crm === 'hubspot' ? 'contact' : 'lead'),
      ...(scored ? { scored } : {}),
      ...(stageEntries ? { stageEntries } : {}),
    },
    activities: activities.map((a) => ({ id: a.id, type: a.type, at: a.occurredAt, attributes: a.attributes })),
    assignment,
  };
}
