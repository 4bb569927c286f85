import { describe, expect, it } from 'vitest';
import { planContact } from '../../src/core/plan-contact.ts';
import { act, contact, DAY, makeConfig, NOW } from '../helpers/fixtures.ts';

// One rule (20 points, half-life 30 days): the visible score is round(20 · 0.5^(age/30 d)).
const config = (decayStep = 1, extra: Record<string, unknown> = {}) => makeConfig({
  engagement: { halfLifeDays: 30, decayStep, rules: [{ id: 'demo', activity: 'demo_request', points: 20 }], ...extra },
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
    expect(Math.abs(next - expectedAt(a.at, 20, step))).toBeLessThanOrEqual(5 * 60_000);
    // And planning again at that instant shows the moved score.
    expect(20 - plan(config(step), [a], new Date(next)).score.total).toBeGreaterThanOrEqual(step);
    expect(20 - plan(config(step), [a], new Date(next - 10 * 60_000)).score.total).toBeLessThan(step);
  });

  it('includes the moment an activity leaves the history window', () => {
    const cfg = makeConfig({ engagement: { halfLifeDays: 30, maxAgeDays: 10, rules: [{ id: 'demo', activity: 'demo_request', points: 20, decay: false }] } });
    const a = act('demo_request', 3);
    const p = plan(cfg, [a]);
    expect(Math.abs(Date.parse(p.nextChangeAt!) - (a.at + 10 * DAY))).toBeLessThanOrEqual(2 * 60_000);
  });

  it('is null when time alone changes nothing (no activities, no decaying rule)', () => {
    expect(plan(makeConfig({ engagement: { halfLifeDays: 30, rules: [] } }), []).nextChangeAt).toBeNull();
  });

  it('is the same for the same input (pure)', () => {
    const a = [act('demo_request', 2), act('demo_request', 9)];
    expect(plan(config(), a).nextChangeAt).toBe(plan(config(), [...a].reverse()).nextChangeAt);
  });
});
