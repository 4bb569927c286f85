import { describe, expect, it } from 'vitest';
import {
  bucketOf,
  NO_STAGE,
  SCORE_BUCKETS,
  summarizeSimulation,
  type CostModel,
  type SimulatedContact,
  type SimulatedSide,
} from '../../jobs/simulate-config.ts';

const STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead'];
const side = (score: number, stage: string | null, over: Partial<SimulatedSide> = {}): SimulatedSide => ({
  score,
  stage,
  changed: [],
  taskOwners: [],
  ...over,
});
const c = (
  id: string,
  before: SimulatedSide,
  after: SimulatedSide,
  objectType = 'contact',
  page = 1,
): SimulatedContact => ({ objectType, id, page, before, after });
const cost = (over: Partial<CostModel> = {}): CostModel => ({
  readCalls: 1,
  writeBatch: 100,
  taskBatch: 100,
  limit: { max: 110, windowMs: 10_000 },
  ...over,
});
const summarize = (contacts: SimulatedContact[], over: Partial<CostModel> = {}, names = new Map<string, string>()) =>
  summarizeSimulation(contacts, { stages: STAGES, ownerNames: names, cost: cost(over) });

describe('bucketOf', () => {
  it.each([
    [-5, '<0'],
    [0, '0–9'],
    [9, '0–9'],
    [10, '10–19'],
    [99, '90–99'],
    [100, '≥100'],
    [250, '≥100'],
  ])('%d → %s', (score, label) => {
    expect(SCORE_BUCKETS[bucketOf(score)]).toBe(label);
  });
});

describe('summarizeSimulation', () => {
  it('counts each contact once per histogram, before and after', () => {
    const r = summarize([
      c('1', side(5, 'lead'), side(15, 'lead')),
      c('2', side(5, 'lead'), side(105, 'lead')),
      c('3', side(-3, null), side(0, null)),
    ]);
    const at = (label: string) => SCORE_BUCKETS.indexOf(label);
    expect(r.histogram.before[at('0–9')]).toBe(2);
    expect(r.histogram.before[at('<0')]).toBe(1);
    expect(r.histogram.after[at('0–9')]).toBe(1);
    expect(r.histogram.after[at('10–19')]).toBe(1);
    expect(r.histogram.after[at('≥100')]).toBe(1);
    expect(r.histogram.before.reduce((a, b) => a + b)).toBe(3);
    expect(r.histogram.after.reduce((a, b) => a + b)).toBe(3);
  });

  it.each([
    ['no move', [['lead', 'lead']], [['lead', 'lead', 1]], 0],
    [
      'lead → MQL twice, one stays',
      [
        ['lead', 'marketingqualifiedlead'],
        ['lead', 'marketingqualifiedlead'],
        ['lead', 'lead'],
      ],
      [
        ['lead', 'marketingqualifiedlead', 2],
        ['lead', 'lead', 1],
      ],
      2,
    ],
    ['from no stage', [[null, 'subscriber']], [[NO_STAGE, 'subscriber', 1]], 1],
    ['a stage only the CRM knows', [['evangelist', 'evangelist']], [['evangelist', 'evangelist', 1]], 0],
  ] as const)('stage matrix: %s', (_name, moves, cells, moved) => {
    const r = summarize(moves.map(([from, to], i) => c(String(i), side(0, from), side(0, to))));
    for (const [from, to, count] of cells)
      expect(r.stages.matrix[r.stages.labels.indexOf(from)]![r.stages.labels.indexOf(to)]).toBe(count);
    expect(r.stages.matrix.flat().reduce((a, b) => a + b)).toBe(moves.length);
    expect(r.stages.moved).toBe(moved);
    expect(r.stages.labels.slice(0, 5)).toEqual([NO_STAGE, ...STAGES]);
  });

  it("counts the new config's tasks by owner, named where the config names them, and the current config's as the baseline", () => {
    const r = summarize(
      [
        c('1', side(0, 'lead'), side(70, 'marketingqualifiedlead', { taskOwners: ['1001'] })),
        c('2', side(0, 'lead'), side(70, 'marketingqualifiedlead', { taskOwners: ['1002'] })),
        c('3', side(0, 'lead', { taskOwners: ['1001'] }), side(70, 'marketingqualifiedlead', { taskOwners: ['1001'] })),
        c('4', side(0, 'lead'), side(70, 'marketingqualifiedlead', { taskOwners: [null] })),
      ],
      {},
      new Map([['1001', 'rep-1']]),
    );
    expect(r.tasks).toEqual({
      total: 4,
      baseline: 1,
      byOwner: [
        { ownerId: '1001', name: 'rep-1', count: 2 },
        { ownerId: '1002', name: null, count: 1 },
        { ownerId: null, name: null, count: 1 },
      ],
    });
  });

  it('lists the largest score changes first, then the longest stage move, ids only, at most `top`', () => {
    const contacts = [
      c('a', side(10, 'lead'), side(12, 'lead')),
      c('b', side(10, 'lead'), side(50, 'lead')),
      c('c', side(10, 'lead'), side(10, 'lead')), // unchanged: never listed
      c('d', side(10, 'subscriber'), side(12, 'marketingqualifiedlead')),
      c('e', side(60, 'lead'), side(20, 'lead')),
    ];
    const r = summarizeSimulation(contacts, { stages: STAGES, ownerNames: new Map(), cost: cost(), top: 3 });
    expect(r.movers.map((m) => m.id)).toEqual(['b', 'e', 'd']);
    expect(r.movers[1]).toEqual({ objectType: 'contact', id: 'e', score: [60, 20], stage: ['lead', 'lead'] });
    expect(JSON.stringify(r.movers)).not.toMatch(/@|name/);
  });

  it.each([
    // changed contacts, tasks, read calls, quota, rescore's share → write calls, task calls, total, seconds, at the rescore's pace
    ['nothing changes', 0, 0, 3, 110, 77, 0, 0, 3, 0, 0],
    ['250 changes at 100 a batch', 250, 0, 3, 110, 77, 3, 0, 6, 0, 0],
    ['exactly one batch', 100, 100, 1, 110, 77, 1, 1, 3, 0, 0],
    [
      'more calls than one window: 10 s per full window before the last call',
      25_000,
      0,
      250,
      110,
      77,
      250,
      0,
      500,
      40,
      60,
    ],
    ['one more call than the window', 1, 0, 10, 10, 7, 1, 0, 11, 10, 10],
    ["the rescore's share alone needs a second window", 1, 0, 8, 10, 7, 1, 0, 9, 0, 10],
  ] as const)(
    'cost: %s',
    (_name, changed, tasks, reads, max, rescoreMax, writeCalls, taskCalls, total, seconds, rescoreSeconds) => {
      const contacts = Array.from({ length: changed }, (_, i) =>
        c(String(i), side(0, 'lead'), side(1, 'lead', { changed: ['score'], taskOwners: i < tasks ? ['1001'] : [] })),
      );
      const r = summarize(contacts, { readCalls: reads, limit: { max, windowMs: 10_000 }, rescoreMax });
      expect(r.cost).toEqual({
        changedContacts: changed,
        readCalls: reads,
        writeCalls,
        taskCalls,
        totalCalls: total,
        limit: { max, windowMs: 10_000 },
        seconds,
        rescoreSeconds,
      });
    },
  );

  it('pools writes across pages into full batches, and creates tasks per batch applied, as the rescore does', () => {
    // 3 pages of 40 changed contacts, each with one task: batches of 100 → one full batch after page 3
    // (100 writes, 100 tasks), then the last 20 at the end: 2 writes, 2 task calls at a task batch of 100.
    const contacts = Array.from({ length: 120 }, (_, i) =>
      c(
        String(i),
        side(0, 'lead'),
        side(1, 'lead', { changed: ['score'], taskOwners: ['1001'] }),
        'contact',
        1 + Math.floor(i / 40),
      ),
    );
    expect(summarize(contacts).cost).toMatchObject({ writeCalls: 2, taskCalls: 2, changedContacts: 120 });
    // Tasks in smaller batches than writes: 100 → 4 calls of 30, then 20 → 1.
    expect(summarize(contacts, { taskBatch: 30 }).cost.taskCalls).toBe(5);
    // A contact with a task but nothing to write is pooled (it touches the CRM) but written by no call.
    const onlyTask = [c('t', side(0, 'lead'), side(0, 'lead', { taskOwners: ['1001'] }))];
    expect(summarize(onlyTask).cost).toMatchObject({ writeCalls: 0, taskCalls: 1, changedContacts: 0 });
  });

  it('never puts two record kinds in one batch write (Salesforce Leads and Contacts)', () => {
    const contacts = [
      ...Array.from({ length: 150 }, (_, i) =>
        c(`L${i}`, side(0, 'lead'), side(1, 'lead', { changed: ['score'] }), 'lead'),
      ),
      ...Array.from({ length: 60 }, (_, i) =>
        c(`C${i}`, side(0, 'lead'), side(1, 'lead', { changed: ['score'] }), 'contact'),
      ),
    ];
    expect(summarize(contacts, { writeBatch: 200 }).cost.writeCalls).toBe(2);
    expect(summarize(contacts, { writeBatch: 100 }).cost.writeCalls).toBe(3);
  });
});
