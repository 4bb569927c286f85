import { describe, expect, it } from 'vitest';
import { decideLeadStatus, placeStage, type StageFacts } from '../../src/core/lifecycle.ts';
import { makeConfig } from '../helpers/fixtures.ts';

const cfg = makeConfig();
const rankOf = (g: string) => ['A', 'B', 'C'].indexOf(g);
const facts = (f: Partial<StageFacts> = {}): StageFacts => ({
  score: 0,
  engagement: 0,
  gradeRank: 2,
  bantCount: 0,
  disqualified: false,
  ...f,
});

describe('placeStage (regression: never)', () => {
  const L = cfg.lifecycle;
  const rows: [string, string | null, Partial<StageFacts>, string | null, boolean][] = [
    ['new contact without engagement is a subscriber', null, {}, 'subscriber', true],
    ['subscriber with interest becomes a lead', 'subscriber', { engagement: 5, score: 5 }, 'lead', true],
    [
      'lead crossing score and grade becomes MQL',
      'lead',
      { engagement: 30, score: 55, gradeRank: 1 },
      'marketingqualifiedlead',
      true,
    ],
    ['high score with poor grade stays lead', 'lead', { engagement: 80, score: 80, gradeRank: 2 }, 'lead', false],
    [
      'BANT 3 with grade C becomes SQL',
      'marketingqualifiedlead',
      { score: 60, engagement: 20, gradeRank: 2, bantCount: 3 },
      'salesqualifiedlead',
      true,
    ],
    [
      'SQL can be reached straight from subscriber',
      'subscriber',
      { bantCount: 4, gradeRank: 0 },
      'salesqualifiedlead',
      true,
    ],
    ['BANT 2 is not enough', 'lead', { bantCount: 2, engagement: 5 }, 'lead', false],
    [
      'score decays below MQL: stays MQL',
      'marketingqualifiedlead',
      { score: 10, engagement: 0 },
      'marketingqualifiedlead',
      false,
    ],
    ['sales-owned opportunity is never touched', 'opportunity', { score: 0 }, 'opportunity', false],
    ['customer stays customer even when qualifying lower', 'customer', { bantCount: 4, score: 99 }, 'customer', false],
    [
      'disqualified contact stops at lead',
      'subscriber',
      { score: 99, engagement: 99, gradeRank: 0, bantCount: 4, disqualified: true },
      'lead',
      true,
    ],
  ];
  it.each(rows)('%s', (_, current, f, to, changed) => {
    const p = placeStage(L, current, facts(f), rankOf);
    expect([p.to, p.changed]).toEqual([to, changed]);
  });

  it('leaves an unknown CRM stage alone and warns', () => {
    const p = placeStage(L, 'partner-referral', facts({ score: 99, engagement: 99, gradeRank: 0 }), rankOf);
    expect(p).toMatchObject({ to: 'partner-referral', changed: false });
    expect(p.warning).toContain('partner-referral');
  });

  it('explains the move with the criteria met', () => {
    const p = placeStage(L, 'lead', facts({ score: 55, engagement: 30, gradeRank: 1 }), rankOf);
    expect(p.reason).toBe('meets marketingqualifiedlead: score ≥ 50, grade ≥ B');
  });
});

describe('placeStage (regression: allow)', () => {
  const L = makeConfig({ lifecycle: { ...cfg.lifecycle, regression: 'allow' } }).lifecycle;
  it.each([
    [
      'MQL whose score decayed falls back to lead',
      'marketingqualifiedlead',
      { score: 10, engagement: 10 },
      'lead',
      true,
    ],
    [
      'still qualifying stays',
      'marketingqualifiedlead',
      { score: 60, engagement: 10, gradeRank: 0 },
      'marketingqualifiedlead',
      false,
    ],
    ['sales-owned stages still never move', 'opportunity', {}, 'opportunity', false],
  ] as [string, string, Partial<StageFacts>, string, boolean][])('%s', (_, current, f, to, changed) => {
    const p = placeStage(L, current, facts(f), rankOf);
    expect([p.to, p.changed]).toEqual([to, changed]);
  });
});

describe('decideLeadStatus', () => {
  const L = cfg.lifecycle;
  const status = (stageFrom: string | null, f: Partial<StageFacts>, currentStatus: string | null) => {
    const p = placeStage(L, stageFrom, facts(f), rankOf);
    return decideLeadStatus(L, p, currentStatus, facts(f), rankOf);
  };
  it.each([
    ['handoff into MQL sets "new"', 'lead', { score: 60, engagement: 30, gradeRank: 0 }, null, 'new'],
    ['handoff replaces our own nurture status', 'lead', { score: 60, engagement: 30, gradeRank: 0 }, 'nurture', 'new'],
    [
      'handoff never overwrites a status sales set',
      'marketingqualifiedlead',
      { bantCount: 3, gradeRank: 0 },
      'in_progress',
      null,
    ],
    ['engaged but poor fit is nurtured', 'lead', { score: 70, engagement: 70, gradeRank: 2 }, null, 'nurture'],
    [
      'poor fit does not overwrite a sales status',
      'lead',
      { score: 70, engagement: 70, gradeRank: 2 },
      'attempted',
      null,
    ],
    ['low engagement, no opinion', 'lead', { score: 10, engagement: 10 }, null, null],
    ['disqualified is unqualified', 'lead', { disqualified: true, score: 90, engagement: 90 }, 'new', 'unqualified'],
    ['sales-owned: no opinion even if disqualified', 'customer', { disqualified: true }, null, null],
  ] as [string, string | null, Partial<StageFacts>, string | null, string | null][])(
    '%s',
    (_, from, f, current, expected) => {
      expect(status(from, f, current)).toBe(expected);
    },
  );
});
