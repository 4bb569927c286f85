import { z } from 'zod';

/** A value a condition compares against: CRM fields and activity attributes are flat scalars. */
export const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);

const CONDITION_KEYS = [
  'equals',
  'notEquals',
  'in',
  'notIn',
  'contains',
  'notContains',
  'matches',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'exists',
  'withinDays',
  'olderThanDays',
] as const;

/**
 * A test on one value. Every operator given must hold (AND). String comparisons ignore case,
 * because CRMs store picklists and titles with inconsistent capitalisation.
 */
export const conditionSchema = z
  .strictObject({
    /** Equal to this value (strings case-insensitive; "10" equals 10). */
    equals: scalarSchema.optional(),
    notEquals: scalarSchema.optional(),
    /** Equal to one of these values. */
    in: z.array(scalarSchema).min(1).optional(),
    notIn: z.array(scalarSchema).min(1).optional(),
    /** The text contains this substring. */
    contains: z.string().min(1).optional(),
    notContains: z.string().min(1).optional(),
    /** A regular expression, matched case-insensitively. */
    matches: z.string().min(1).optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    /** Inclusive numeric range [low, high]. */
    between: z.tuple([z.number(), z.number()]).optional(),
    /** true: the value is present and not empty; false: it is missing or empty. */
    exists: z.boolean().optional(),
    /** The value is a date no more than N days before `now` (and not in the future). */
    withinDays: z.number().positive().optional(),
    /** The value is a date more than N days before `now`. */
    olderThanDays: z.number().positive().optional(),
  })
  .check((ctx) => {
    const c = ctx.value;
    if (!CONDITION_KEYS.some((k) => c[k] !== undefined)) {
      ctx.issues.push({
        code: 'custom',
        input: c,
        message: `a condition needs at least one of: ${CONDITION_KEYS.join(', ')}`,
      });
    }
    if (c.matches !== undefined) {
      try {
        new RegExp(c.matches, 'i');
      } catch (err) {
        ctx.issues.push({
          code: 'custom',
          input: c,
          path: ['matches'],
          message: `not a valid regular expression: ${(err as Error).message}`,
        });
      }
    }
    if (c.between && c.between[0] > c.between[1]) {
      ctx.issues.push({
        code: 'custom',
        input: c,
        path: ['between'],
        message: 'between: the low bound is above the high bound',
      });
    }
  });

/** A condition on a named contact field (canonical field name, see `fields` in the CRM mapping). */
export const fieldConditionSchema = z.strictObject({
  field: z.string().min(1),
  when: conditionSchema,
});

/**
 * The keys of a field test, to spread into any rule that tests contact fields: either
 * `field` + `when`, or `anyOf` (one must hold), or `allOf` (all must hold).
 */
export const fieldTestShape = {
  field: z.string().min(1).optional(),
  when: conditionSchema.optional(),
  anyOf: z.array(fieldConditionSchema).min(1).optional(),
  allOf: z.array(fieldConditionSchema).min(1).optional(),
};

type FieldTestKeys = { field?: unknown; when?: unknown; anyOf?: unknown; allOf?: unknown };

/** One of the three forms, exactly; added with `.check(oneFieldTestForm)`. */
export function oneFieldTestForm(ctx: { value: FieldTestKeys; issues: unknown[] }): void {
  const v = ctx.value;
  const single = v.field !== undefined || v.when !== undefined;
  const forms = [single, v.anyOf !== undefined, v.allOf !== undefined].filter(Boolean).length;
  const push = (message: string) => (ctx.issues as object[]).push({ code: 'custom', input: v, message });
  if (forms !== 1) push('give either field + when, or anyOf, or allOf');
  else if (single && (v.field === undefined || v.when === undefined)) push('field and when go together');
}

export const fieldTestSchema = z.strictObject(fieldTestShape).check(oneFieldTestForm);
