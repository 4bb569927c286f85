import { describe, expect, it } from 'vitest';
import { gradeRank, scoreFit } from '../../src/core/fit.ts';
import { contact, defaultConfig, makeConfig, NOW_MS } from '../helpers/fixtures.ts';

describe('scoreFit with the shipped config', () => {
  const fit = defaultConfig().fit;
  const rows: [string, Record<string, string | number>, number, string, string | null][] = [
    [
      'VP at a mid-size US software company',
      {
        email: 'a@acme.io',
        jobTitle: 'VP Sales',
        industry: 'Software',
        employeeBand: '100-500',
        country: 'United States',
      },
      60,
      'A',
      null,
    ],
    [
      'Salesforce headcount as a number',
      { email: 'a@acme.io', jobTitle: 'Director of IT', industry: 'SaaS', numberOfEmployees: 800, country: 'Canada' },
      60,
      'A',
      null,
    ],
    [
      'manager in target industry',
      { email: 'a@acme.io', jobTitle: 'Marketing Manager', industry: 'fintech' },
      25,
      'B',
      null,
    ],
    [
      'personal e-mail pulls fit down',
      { email: 'sam@gmail.com', jobTitle: 'Marketing Manager', industry: 'fintech' },
      10,
      'C',
      null,
    ],
    ['student e-mail', { email: 'kim@cs.stanford.edu', jobTitle: 'Student' }, -25, 'D', null],
    ['UK university', { email: 'kim@ox.ac.uk' }, -25, 'D', null],
    ['tiny company', { email: 'x@tiny.co', employeeBand: '1-5' }, -10, 'D', null],
    [
      'competitor is disqualified with the lowest grade',
      { email: 'spy@rivalscore.io', jobTitle: 'VP Product', industry: 'software', employeeBand: '100-500' },
      50,
      'D',
      'competitor',
    ],
    ['no data at all', {}, 0, 'D', null],
  ];
  it.each(rows)('%s', (_, fields, points, grade, dq) => {
    const r = scoreFit(contact({ fields }), fit, NOW_MS);
    expect(r.points).toBe(points);
    expect(r.grade).toBe(grade);
    expect(r.disqualified?.reason ?? null).toBe(dq);
  });
});

describe('grades', () => {
  const fit = makeConfig({
    fit: {
      rules: [{ id: 'size', field: 'size', when: { gte: 0 }, points: 1 }],
      grades: [{ grade: 'A', minPoints: 40 }, { grade: 'B', minPoints: 20 }, { grade: 'C' }],
    },
  }).fit;
  it.each([
    [45, 'A'],
    [40, 'A'],
    [39, 'B'],
    [20, 'B'],
    [19, 'C'],
    [-100, 'C'],
  ])('%d points → %s', (points, grade) => {
    const cfg = { ...fit, rules: [{ id: 'p', field: 'x', when: { exists: true }, points }] };
    expect(scoreFit(contact({ fields: { x: 1 } }), cfg, NOW_MS).grade).toBe(grade);
  });
  it('ranks grades best first, unknown last', () => {
    expect([gradeRank(fit, 'A'), gradeRank(fit, 'C'), gradeRank(fit, 'Z')]).toEqual([0, 2, 3]);
  });
});
