import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planContact } from '../../src/core/plan-contact.ts';
import type { Activity, ContactSnapshot, Plan } from '../../src/core/types.ts';
import { DAY, defaultConfig, NOW, NOW_MS } from '../helpers/fixtures.ts';

const config = defaultConfig();
// Activity types whose every rule in the shipped config awards points (no unsubscribes, bounces).
const POSITIVE = [
  'email_open',
  'email_click',
  'email_reply',
  'content_download',
  'webinar_registered',
  'webinar_attended',
  'page_view',
  'form_submission',
  'demo_request',
  'quote_request',
  'meeting_booked',
  'product_signup',
];
const ANY = [...POSITIVE, 'unsubscribe', 'email_bounce', 'call_logged'];

const fieldsArb = fc.record({
  email: fc.constantFrom('a@acme.io', 'b@gmail.com', 'c@uni.edu', 'd@rivalscore.io', 'e@ox.ac.uk'),
  jobTitle: fc.constantFrom('VP Sales', 'Marketing Manager', 'Engineer', 'Student', ''),
  industry: fc.constantFrom('Software', 'Retail', 'fintech'),
  employeeBand: fc.constantFrom('1-5', '25-50', '100-500', '1000+'),
  country: fc.constantFrom('United States', 'Germany', 'Brazil'),
  budget: fc.constantFrom('', '10k'),
  need: fc.constantFrom('', 'yes'),
  purchaseTimeframe: fc.constantFrom('', 'this quarter', 'next year'),
});
const stageArb = fc.constantFrom(null, ...config.lifecycle.stages);
const contactArb = fc
  .record({ fields: fieldsArb, stage: stageArb, leadStatus: fc.constantFrom(null, 'nurture', 'in_progress') })
  .map((c): ContactSnapshot => ({ crm: 'hubspot', objectType: 'contact', id: '7', ownerId: null, ...c }));
const activityArb = (types: string[]) =>
  fc.record({
    type: fc.constantFrom(...types),
    ageDays: fc.double({ min: 0, max: 400, noNaN: true }),
    url: fc.constantFrom('/pricing', '/blog', '/docs'),
    formName: fc.constantFrom('Contact us', 'Newsletter'),
    bounceType: fc.constantFrom('hard', 'soft'),
  });
function toActivities(
  list: { type: string; ageDays: number; url: string; formName: string; bounceType: string }[],
  prefix = 'a',
): Activity[] {
  return list.map((a, i) => ({
    id: `${prefix}${i}`,
    type: a.type,
    at: NOW_MS - a.ageDays * DAY,
    attributes: { url: a.url, formName: a.formName, bounceType: a.bounceType },
  }));
}
function plan(contact: ContactSnapshot, activities: Activity[]): Plan {
  const r = planContact({ contact, activities, config, now: NOW });
  if (!r.ok) throw new Error(r.error.message);
  return r.plan;
}

describe('core properties (shipped config)', () => {
  it('an added positive activity never lowers the score', () => {
    fc.assert(
      fc.property(
        contactArb,
        fc.array(activityArb(ANY), { maxLength: 40 }),
        activityArb(POSITIVE),
        (c, list, extra) => {
          const before = plan(c, toActivities(list));
          const after = plan(c, [...toActivities(list), ...toActivities([extra], 'x')]);
          expect(after.score.total).toBeGreaterThanOrEqual(before.score.total);
          expect(after.score.engagement).toBeGreaterThanOrEqual(before.score.engagement);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the same activity older is worth no more', () => {
    fc.assert(
      fc.property(
        contactArb,
        fc.array(activityArb(ANY), { maxLength: 20 }),
        activityArb(POSITIVE),
        fc.double({ min: 0, max: 200, noNaN: true }),
        (c, list, one, extraAge) => {
          const base = toActivities(list);
          const newer = plan(c, [...base, ...toActivities([one], 'x')]);
          const older = plan(c, [...base, ...toActivities([{ ...one, ageDays: one.ageDays + extraAge }], 'x')]);
          expect(older.score.total).toBeLessThanOrEqual(newer.score.total);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('planning twice, or with the activities in another order, gives the same plan', () => {
    fc.assert(
      fc.property(
        contactArb,
        fc.array(activityArb(ANY), { maxLength: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        (c, list, seed) => {
          const activities = toActivities(list);
          const shuffled = [...activities].sort(
            (a, b) => ((a.id.length * 31 + seed) % 7) - ((b.id.length * 17 + seed) % 5) || (a.id < b.id ? 1 : -1),
          );
          const first = plan(c, activities);
          expect(plan(c, activities)).toEqual(first);
          expect(plan(c, shuffled)).toEqual(first);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never moves a stage backwards under the default policy, except a stale MQL sales never worked (recycle)', () => {
    const idx = (s: string | null) => (s === null ? -1 : config.lifecycle.stages.indexOf(s));
    const rule = config.lifecycle.recycle!;
    const ours = [null, config.lifecycle.leadStatus.onHandoff, config.lifecycle.leadStatus.nurture, rule.leadStatus];
    fc.assert(
      fc.property(contactArb, fc.array(activityArb(ANY), { maxLength: 40 }), (c, list) => {
        const p = plan(c, toActivities(list));
        if (p.stage.recycled) {
          expect(rule.from).toContain(c.stage);
          expect(ours).toContain(c.leadStatus ?? null);
          expect(p.stage.to).toBe(rule.to);
        } else expect(idx(p.stage.to)).toBeGreaterThanOrEqual(idx(c.stage));
        if (c.stage && config.lifecycle.untouched.includes(c.stage)) expect(p.stage.to).toBe(c.stage);
      }),
      { numRuns: 300 },
    );
  });

  it('never hands a disqualified or poor-fit contact to sales', () => {
    fc.assert(
      fc.property(contactArb, fc.array(activityArb(ANY), { maxLength: 40 }), (c, list) => {
        const p = plan(c, toActivities(list));
        if (p.disqualified || p.grade === 'D') {
          expect(p.tasks).toEqual([]);
          if (p.stage.changed) expect(config.lifecycle.handoffStages).not.toContain(p.stage.to);
        }
      }),
      { numRuns: 300 },
    );
  });
});
