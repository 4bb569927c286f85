import { z } from 'zod';
import { conditionSchema, fieldTestSchema, fieldTestShape, oneFieldTestForm } from './condition-schema.ts';

const ruleId = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_"');
const points = z.number().refine((n) => n !== 0 && Number.isFinite(n), 'points must be a non-zero number');

/** Points for an activity (an event the contact did), optionally filtered on its attributes. */
export const activityRuleSchema = z.strictObject({
  id: ruleId,
  /** The activity type, from the built-in list or `engagement.customActivityTypes`. */
  activity: z.string().min(1),
  /** Conditions on the activity's attributes (e.g. `url: { contains: /pricing }`); all must hold. */
  where: z.record(z.string(), conditionSchema).optional(),
  /** Points per matching activity before decay; negative for signals of disinterest. */
  points,
  /** Upper bound on the points this rule contributes in total (its magnitude, for negative rules). */
  cap: z.number().positive().optional(),
  /**
   * Only this many matching activities count: the most recent ones. (Most recent rather than
   * earliest so that an old burst cannot crowd out fresh interest, and an added activity can
   * never lower the score.)
   */
  maxCount: z.number().int().positive().optional(),
  /** A group from `engagement.groups` whose shared cap applies. */
  group: z.string().optional(),
  /** false: the points never decay (e.g. a hard bounce stays a hard bounce). */
  decay: z.boolean().default(true),
});

/** Points for a CRM-kept counter or date (HubSpot keeps email opens and form counts this way). */
export const propertyRuleSchema = z.strictObject({
  id: ruleId,
  field: z.string().min(1),
  when: conditionSchema,
  points,
  group: z.string().optional(),
});

export const engagementSchema = z.strictObject({
  /** Engagement points halve every this many days. */
  halfLifeDays: z.number().positive().default(30),
  /**
   * Decay is written to the CRM when it has moved the score by at least this many points (and
   * always when it moves a stage or lead status): 1 keeps the CRM exact, 5 writes a fifth as often.
   */
  decayStep: z.number().int().min(1).default(1),
  /** Activities older than this are ignored altogether (keeps history bounded). */
  maxAgeDays: z.number().positive().default(365),
  /** Activity types beyond the built-in ones (product usage, events from your own tools). */
  customActivityTypes: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)).default([]),
  /** Named groups whose rules share one cap, e.g. all e-mail engagement ≤ 30 points. */
  groups: z.record(z.string(), z.strictObject({ cap: z.number().positive() })).default({}),
  rules: z.array(activityRuleSchema).default([]),
  propertyRules: z.array(propertyRuleSchema).default([]),
});

export const gradeSchema = z.strictObject({
  grade: z.string().min(1).max(8),
  /** Fit points needed for this grade; the last grade takes everything below and has none. */
  minPoints: z.number().optional(),
});

export const fitSchema = z.strictObject({
  /** Each matching rule adds its points (negative for poor fit). */
  rules: z.array(z.strictObject({ id: ruleId, points, ...fieldTestShape }).check(oneFieldTestForm)).default([]),
  /** Best grade first. */
  grades: z.array(gradeSchema).min(2),
  /** Any match disqualifies the contact: never to sales, lead status set to `lifecycle.disqualified.leadStatus`. */
  disqualify: z
    .array(z.strictObject({ id: ruleId, reason: z.string().min(1), ...fieldTestShape }).check(oneFieldTestForm))
    .default([]),
});

const bantKey = z.enum(['budget', 'authority', 'need', 'timing']);

export const qualificationSchema = z.strictObject({
  /** How each BANT criterion is read from the contact's fields. */
  criteria: z.partialRecord(bantKey, fieldTestSchema).default({}),
});
