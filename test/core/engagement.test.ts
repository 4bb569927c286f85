import { describe, expect, it } from 'vitest';
import { decayFactor, scoreEngagement } from '../../src/core/engagement.ts';
import { act, contact, DAY, makeConfig, NOW_MS } from '../helpers/fixtures.ts';

function engagement(rules: unknown[], extra: Record<string, unknown> = {}) {
  return makeConfig({ engagement: { halfLifeDays: 30, rules, ...extra } }).engagement;
}

describe('decayFactor', () => {
  it.each([
    [0, 1],
    [30 * DAY, 0.5],
    [60 * DAY, 0.25],
    [-5 * DAY, 1], // future dates never gain
  ])('age %d ms → %d', (age, factor) => {
    expect(decayFactor(age, 30)).toBeCloseTo(factor, 10);
  });
});

describe('scoreEngagement', () => {
  const c = contact();
  const rows: [string, unknown[], Record<string, unknown>, ReturnType<typeof act>[], number][] = [
    [
      'one fresh activity scores full points',
      [{ id: 'open', activity: 'email_open', points: 5 }],
      {},
      [act('email_open')],
      5,
    ],
    [
      'an activity one half-life old scores half',
      [{ id: 'click', activity: 'email_click', points: 8 }],
      {},
      [act('email_click', 30)],
      4,
    ],
    [
      'other activity types do not match',
      [{ id: 'open', activity: 'email_open', points: 5 }],
      {},
      [act('email_click')],
      0,
    ],
    [
      'where filters on attributes',
      [{ id: 'pricing', activity: 'page_view', points: 15, where: { url: { contains: '/pricing' } } }],
      {},
      [act('page_view', 0, { url: '/pricing' }), act('page_view', 0, { url: '/blog' })],
      15,
    ],
    [
      'several matching rules all add',
      [
        { id: 'pricing', activity: 'page_view', points: 15, where: { url: { contains: '/pricing' } } },
        { id: 'any-page', activity: 'page_view', points: 1 },
      ],
      {},
      [act('page_view', 0, { url: '/pricing' })],
      16,
    ],
    [
      'rule cap bounds the total',
      [{ id: 'dl', activity: 'content_download', points: 10, cap: 25 }],
      {},
      [act('content_download'), act('content_download'), act('content_download')],
      25,
    ],
    [
      'maxCount keeps the most recent matches',
      [{ id: 'open', activity: 'email_open', points: 8, maxCount: 2 }],
      {},
      [act('email_open', 60), act('email_open', 0), act('email_open', 30)],
      12,
    ],
    ['negative rules subtract', [{ id: 'unsub', activity: 'unsubscribe', points: -20 }], {}, [act('unsubscribe')], -20],
    [
      'negative caps bound the magnitude',
      [{ id: 'unsub', activity: 'unsubscribe', points: -20, cap: 30 }],
      {},
      [act('unsubscribe'), act('unsubscribe')],
      -30,
    ],
    [
      'decay: false keeps points forever',
      [{ id: 'bounce', activity: 'email_bounce', points: -50, decay: false }],
      {},
      [act('email_bounce', 300)],
      -50,
    ],
    [
      'activities beyond maxAgeDays are ignored',
      [{ id: 'open', activity: 'email_open', points: 5 }],
      { maxAgeDays: 90 },
      [act('email_open', 91)],
      0,
    ],
    [
      'group cap bounds the group, not other rules',
      [
        { id: 'open', activity: 'email_open', points: 10, group: 'email' },
        { id: 'click', activity: 'email_click', points: 10, group: 'email' },
        { id: 'demo', activity: 'demo_request', points: 40 },
      ],
      { groups: { email: { cap: 15 } } },
      [act('email_open'), act('email_click'), act('demo_request')],
      55,
    ],
  ];

  it.each(rows)('%s', (_, rules, extra, activities, expected) => {
    const r = scoreEngagement(c, activities, engagement(rules, extra), NOW_MS);
    expect(r.points).toBeCloseTo(expected, 6);
  });

  it('reports each rule with its points after decay, count and cap note', () => {
    const cfg = engagement([{ id: 'dl', activity: 'content_download', points: 10, cap: 12 }]);
    const r = scoreEngagement(c, [act('content_download', 30), act('content_download', 0)], cfg, NOW_MS);
    expect(r.reasons).toEqual([{ kind: 'activity', ruleId: 'dl', points: 12, count: 2, note: 'capped at 12' }]);
  });

  it('reports a group cap as its own negative reason', () => {
    const cfg = engagement(
      [
        { id: 'open', activity: 'email_open', points: 10, group: 'email' },
        { id: 'click', activity: 'email_click', points: 10, group: 'email' },
      ],
      { groups: { email: { cap: 15 } } },
    );
    const r = scoreEngagement(c, [act('email_open'), act('email_click')], cfg, NOW_MS);
    expect(r.reasons.find((x) => x.kind === 'group-cap')).toEqual({
      kind: 'group-cap',
      ruleId: 'email',
      points: -5,
      note: 'group email capped at 15',
    });
  });

  it('scores property rules on CRM counters and dates, inside their group', () => {
    const cfg = engagement([{ id: 'open', activity: 'email_open', points: 10, group: 'email' }], {
      groups: { email: { cap: 12 } },
      propertyRules: [
        { id: 'many-opens', field: 'emailOpens', when: { gte: 10 }, points: 5, group: 'email' },
        { id: 'recent-form', field: 'lastFormAt', when: { withinDays: 7 }, points: 7 },
      ],
    });
    const who = contact({ fields: { emailOpens: '12', lastFormAt: new Date(NOW_MS - 2 * DAY).toISOString() } });
    const r = scoreEngagement(who, [act('email_open')], cfg, NOW_MS);
    expect(r.points).toBe(12 + 7);
    expect(r.reasons.map((x) => x.ruleId).sort()).toEqual(['email', 'many-opens', 'open', 'recent-form']);
  });

  it('does not depend on the order activities arrive in', () => {
    const cfg = engagement([{ id: 'open', activity: 'email_open', points: 8, maxCount: 2 }]);
    const list = [act('email_open', 60), act('email_open', 0), act('email_open', 30), act('email_open', 30)];
    const a = scoreEngagement(c, list, cfg, NOW_MS);
    const b = scoreEngagement(c, [...list].reverse(), cfg, NOW_MS);
    expect(a).toEqual(b);
  });
});
