import type { Condition, FieldTest } from './model.ts';
import { isPresent, looseEquals, readField, toNumber, toTime } from './field-values.ts';
import type { ContactSnapshot, FieldValue } from './types.ts';

const DAY_MS = 86_400_000;
// A date a few minutes ahead of `now` is clock skew between systems, not a future date.
const SKEW_MS = 5 * 60_000;

const regexCache = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'i');
    regexCache.set(pattern, re);
  }
  return re;
}

/**
 * Does `value` satisfy every operator in `c`? A missing or empty value satisfies only
 * `exists: false`: a rule about a field we do not know never awards or removes points.
 */
export function testCondition(value: FieldValue | undefined, c: Condition, nowMs: number): boolean {
  if (!isPresent(value)) return c.exists === false;
  if (c.exists === false) return false;
  const text = String(value).toLowerCase();

  if (c.equals !== undefined && !looseEquals(value, c.equals)) return false;
  if (c.notEquals !== undefined && looseEquals(value, c.notEquals)) return false;
  if (c.in && !c.in.some((x) => looseEquals(value, x))) return false;
  if (c.notIn && c.notIn.some((x) => looseEquals(value, x))) return false;
  if (c.contains !== undefined && !text.includes(c.contains.toLowerCase())) return false;
  if (c.notContains !== undefined && text.includes(c.notContains.toLowerCase())) return false;
  if (c.matches !== undefined && !regex(c.matches).test(String(value))) return false;

  if (c.gt !== undefined || c.gte !== undefined || c.lt !== undefined || c.lte !== undefined || c.between) {
    const n = toNumber(value);
    if (n === undefined) return false;
    if (c.gt !== undefined && !(n > c.gt)) return false;
    if (c.gte !== undefined && !(n >= c.gte)) return false;
    if (c.lt !== undefined && !(n < c.lt)) return false;
    if (c.lte !== undefined && !(n <= c.lte)) return false;
    if (c.between && !(n >= c.between[0] && n <= c.between[1])) return false;
  }

  if (c.withinDays !== undefined || c.olderThanDays !== undefined) {
    const t = toTime(value);
    if (t === undefined) return false;
    const age = nowMs - t;
    if (c.withinDays !== undefined && !(age >= -SKEW_MS && age <= c.withinDays * DAY_MS)) return false;
    if (c.olderThanDays !== undefined && !(age > c.olderThanDays * DAY_MS)) return false;
  }
  return true;
}

/** Evaluate a field test (one condition, anyOf or allOf) against a contact. */
export function testFieldTest(contact: ContactSnapshot, test: FieldTest, nowMs: number): boolean {
  if (test.anyOf) return test.anyOf.some((t) => testCondition(readField(contact, t.field), t.when, nowMs));
  if (test.allOf) return test.allOf.every((t) => testCondition(readField(contact, t.field), t.when, nowMs));
  if (test.field === undefined || test.when === undefined) return false; // the schema rules this out
  return testCondition(readField(contact, test.field), test.when, nowMs);
}
