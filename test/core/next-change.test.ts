import { describe, expect, it } from 'vitest';
import { planContact } from '../../src/core/plan-contact.ts';
import { act, contact, DAY, makeConfig, NOW } from '../helpers/fixtures.ts';

// One rule (20 points, half-life 30 days): the visible score is round(20 · 0.5^(age/30 d)).
const config = (decayStep = 1, extra: Record<string, unknown> = {}) =>
  makeConfig({
    engagement: {
      halfLifeDays: 30,
      decayStep,
      rules: [{ id: 'demo', activity: 'demo_request', points: 20 }],
      ...extra,
    },
  });
const plan = (cfg: ReturnType<typeof config>, activities: ReturnType<typeof act>[], now = NOW) => {
  const r = planContact({ contact: contact(), activities, config: cfg, now });
  if (!r.ok) throw new Error(r.error.message);
  return r.plan;
};
/** The first instant at which round(points · 0.5^(age/halfLife)) leaves `from` by `step`. */
const expectedAt = (activityAt: number, from: number, step: number) => {
  const target = from - step + 0.5; // rounding: the score shows from − step once below this
  return activityAt + 30 * DAY * Math.log2(20 / target);
};

describe('nextChangeAt', () => {
  it.each([
    ['every point shows (step 1)', 1],
    ['a 5-point step', 5],
  ])('is the instant decay first moves the score by the step: %s', (_, step) => {
    const a = act('demo_request', 0);
    const p = plan(config(step), [a]);
    expect(p.score.total).toBe(20);
    const next = Date.parse(p.nextChangeAt!);
    const expected = expectedAt(a.at, 20, step);
    // Precision: 5 minutes, or 0.5 % of the lead time when the change is far off — never late.
    const precision = Math.max(5 * 60_000, (expected - NOW.getTime()) / 200);
    expect(next).toBeGreaterThanOrEqual(expected);
    expect(next - expected).toBeLessThanOrEqual(precision);
    // And planning again at that instant shows the moved score; just before the change, it does not.
    expect(20 - plan(config(step), [a], new Date(next)).score.total).toBeGreaterThanOrEqual(step);
    expect(20 - plan(config(step), [a], new Date(expected - 60_000)).score.total).toBeLessThan(step);
  });

  it('includes the moment an activity leaves the history window', () => {
    const cfg = makeConfig({
      engagement: {
        halfLifeDays: 30,
        maxAgeDays: 10,
        rules: [{ id: 'demo', activity: 'demo_request', points: 20, decay: false }],
      },
    });
    const a = act('demo_request', 3);
    const p = plan(cfg, [a]);
    expect(Math.abs(Date.parse(p.nextChangeAt!) - (a.at + 10 * DAY))).toBeLessThanOrEqual(2 * 60_000);
  });

  it('is null when time alone changes nothing (no activities, no decaying rule)', () => {
    expect(plan(makeConfig({ engagement: { halfLifeDays: 30, rules: [] } }), []).nextChangeAt).toBeNull();
  });

  it('is null for a disqualified contact: it shows 0 whatever decay does', () => {
    const cfg = config(1, {});
    const dq = makeConfig({
      ...cfg,
      fit: {
        ...cfg.fit,
        disqualify: [{ id: 'competitor', field: 'emailDomain', when: { in: ['rival.io'] }, reason: 'competitor' }],
      },
    });
    const r = planContact({
      contact: contact({ fields: { email: 'spy@rival.io' } }),
      activities: [act('demo_request', 0)],
      config: dq,
      now: NOW,
    });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.plan.score.total).toBe(0);
    expect(r.plan.nextChangeAt).toBeNull();
  });

  it('is the same for the same input (pure)', () => {
    const a = [act('demo_request', 2), act('demo_request', 9)];
    expect(plan(config(), a).nextChangeAt).toBe(plan(config(), [...a].reverse()).nextChangeAt);
  });
});

describe('engagementCurve', () => {
  it('equals scoreEngagement at every instant, to 1e-9 (same caps, group caps, maxCount, window)', async () => {
    const { engagementCurve } = await import('../../src/core/engagement-curve.ts');
    const { scoreEngagement } = await import('../../src/core/engagement.ts');
    const { defaultConfig } = await import('../helpers/fixtures.ts');
    const cfg = defaultConfig().engagement;
    const kinds = [
      'email_open',
      'email_click',
      'page_view',
      'content_download',
      'webinar_attended',
      'demo_request',
      'email_bounce',
    ];
    let seed = 3;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let c = 0; c < 30; c++) {
      const activities = Array.from({ length: 1 + Math.floor(rand() * 60) }, (_, i) => ({
        id: `a${i}`,
        type: kinds[Math.floor(rand() * kinds.length)]!,
        at: NOW.getTime() - Math.floor(rand() * 400 * DAY),
        attributes: { url: rand() < 0.3 ? 'https://x.io/pricing' : 'https://x.io/blog' },
      }));
      const curve = engagementCurve(contact(), activities, cfg, NOW.getTime())!;
      for (const d of [0, 0.3, 1, 7, 29, 90, 200, 366]) {
        const t = NOW.getTime() + d * DAY;
        expect(curve(t)).toBeCloseTo(scoreEngagement(contact(), activities, cfg, t).points, 9);
      }
    }
  });
});
