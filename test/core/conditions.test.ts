import { describe, expect, it } from 'vitest';
import type { Condition } from '../../src/config/schema.ts';
import { testCondition, testFieldTest } from '../../src/core/conditions.ts';
import type { FieldValue } from '../../src/core/types.ts';
import { contact, DAY, NOW_MS } from '../helpers/fixtures.ts';

const iso = (msAgo: number) => new Date(NOW_MS - msAgo).toISOString();

const cases: [string, FieldValue | undefined, Condition, boolean][] = [
  ['equals ignores case', 'SaaS', { equals: 'saas' }, true],
  ['equals compares numbers loosely', '10', { equals: 10 }, true],
  ['equals boolean', 'true', { equals: true }, true],
  ['equals fails', 'fintech', { equals: 'saas' }, false],
  ['notEquals', 'fintech', { notEquals: 'saas' }, true],
  ['in', 'Germany', { in: ['germany', 'france'] }, true],
  ['in fails', 'Spain', { in: ['germany', 'france'] }, false],
  ['notIn', 'Spain', { notIn: ['germany'] }, true],
  ['contains', 'https://x.io/Pricing/team', { contains: '/pricing' }, true],
  ['notContains', 'https://x.io/blog', { notContains: '/pricing' }, true],
  ['matches regex, case-insensitive', 'Senior VP Sales', { matches: '\\bvp\\b' }, true],
  ['matches fails', 'Developer', { matches: '\\bvp\\b' }, false],
  ['gte on numeric string', '250', { gte: 100 }, true],
  ['lt', 5, { lt: 10 }, true],
  ['gt fails on equal', 10, { gt: 10 }, false],
  ['between inclusive low', 50, { between: [50, 500] }, true],
  ['between inclusive high', 500, { between: [50, 500] }, true],
  ['between outside', 501, { between: [50, 500] }, false],
  ['numeric op on text fails', 'many', { gte: 1 }, false],
  ['combined ops all must hold', 300, { gte: 100, lt: 200 }, false],
  ['exists true', 'x', { exists: true }, true],
  ['exists true on empty string', '  ', { exists: true }, false],
  ['exists false on missing', undefined, { exists: false }, true],
  ['exists false on null', null, { exists: false }, true],
  ['missing value never matches other ops', undefined, { notEquals: 'x' }, false],
  ['withinDays ISO', iso(3 * DAY), { withinDays: 7 }, true],
  ['withinDays too old', iso(8 * DAY), { withinDays: 7 }, false],
  ['withinDays epoch ms string (HubSpot)', String(NOW_MS - DAY), { withinDays: 2 }, true],
  ['withinDays rejects the far future', iso(-2 * DAY), { withinDays: 7 }, false],
  ['withinDays tolerates clock skew', iso(-60_000), { withinDays: 7 }, true],
  ['olderThanDays', iso(40 * DAY), { olderThanDays: 30 }, true],
  ['date op on non-date', 'soon', { withinDays: 7 }, false],
];

describe('testCondition', () => {
  it.each(cases)('%s', (_, value, cond, expected) => {
    expect(testCondition(value, cond, NOW_MS)).toBe(expected);
  });
});

describe('testFieldTest', () => {
  const c = contact({ fields: { email: 'Ana@Example.ORG', jobTitle: 'CTO', country: 'Canada' } });
  it.each([
    ['derived emailDomain', { field: 'emailDomain', when: { equals: 'example.org' } }, true],
    [
      'anyOf with one match',
      {
        anyOf: [
          { field: 'jobTitle', when: { equals: 'VP' } },
          { field: 'jobTitle', when: { equals: 'cto' } },
        ],
      },
      true,
    ],
    ['anyOf with no match', { anyOf: [{ field: 'jobTitle', when: { equals: 'VP' } }] }, false],
    [
      'allOf all match',
      {
        allOf: [
          { field: 'jobTitle', when: { equals: 'cto' } },
          { field: 'country', when: { equals: 'canada' } },
        ],
      },
      true,
    ],
    [
      'allOf one fails',
      {
        allOf: [
          { field: 'jobTitle', when: { equals: 'cto' } },
          { field: 'country', when: { equals: 'peru' } },
        ],
      },
      false,
    ],
  ])('%s', (_, test, expected) => {
    expect(testFieldTest(c, test, NOW_MS)).toBe(expected);
  });
});
