import { describe, expect, it } from 'vitest';
import { dueTime } from '../../src/core/business-time.ts';
import { decideEscalation, handoffKey, stepAt, stepMark, teamHours, type SlaTask } from '../../src/core/escalation.ts';
import { makeConfig, NOW_MS } from '../helpers/fixtures.ts';

// NOW is Monday 2026-11-23 10:00 in New York (07:00 in Los Angeles).
const MIN = 60_000;
const config = makeConfig({
  tasks: [
    {
      id: 'mql-follow-up',
      onEnter: 'marketingqualifiedlead',
      subject: 'Call them',
      sla: [{ id: 'fast', due: { minutes: 30 } }],
    },
  ],
  assignment: {
    owners: [
      { key: 'ana', ids: { hubspot: '1' }, team: 'east' },
      { key: 'ben', ids: { hubspot: '2' }, team: 'east' },
      { key: 'cy', ids: { hubspot: '3' }, team: 'west' },
      { key: 'max', ids: { hubspot: '9' }, team: 'east' },
      { key: 'zoe', ids: { hubspot: '8' } },
    ],
    pools: [{ id: 'default', owners: ['ana', 'ben', 'cy'] }],
    teams: [
      { id: 'east', timezone: 'America/New_York', manager: 'max' },
      { id: 'west', timezone: 'America/Los_Angeles', manager: 'max' },
    ],
  },
  escalation: {
    steps: [
      { action: 'remind' },
      { after: { minutes: 30 }, action: 'reassign' },
      { after: { minutes: 30 }, action: 'escalate' },
    ],
    manager: 'zoe',
  },
});

const task = (over: Partial<SlaTask> = {}): SlaTask => ({
  key: 'a'.repeat(40),
  taskId: 't1',
  crm: 'hubspot',
  contact: { objectType: 'contact', id: '101' },
  ownerId: '1',
  step: 0,
  dueAt: NOW_MS + 30 * MIN,
  createdAt: NOW_MS,
  ruleId: 'mql-follow-up',
  slaRuleId: 'fast',
  stage: 'marketingqualifiedlead',
  subject: 'Call them',
  type: 'call',
  tried: [],
  ...over,
});
const open = { open: true, ownerId: '1', body: 'Why now: demo request\n\n[leadstage:aaaa]' };
const decide = (
  t: SlaTask,
  nowMs: number,
  o: { away?: string[]; contactedAt?: number | null; view?: typeof open | null } = {},
) =>
  decideEscalation({
    config,
    task: t,
    view: o.view === undefined ? open : o.view,
    contactedAt: o.contactedAt ?? null,
    nowMs,
    awayOwnerIds: new Set(o.away ?? []),
  });

describe('the SLA clock runs in business hours of the owner team', () => {
  it.each([
    // [owner, planned at, due] — New York closes at 17:00; Los Angeles is open until 17:00 Pacific (20:00 New York).
    ['east owner, 16:50 New York', '1', '2026-11-23T21:50:00Z', '2026-11-24T14:20:00.000Z'],
    ['west owner, 16:50 New York', '3', '2026-11-23T21:50:00Z', '2026-11-23T22:20:00.000Z'],
    ['west owner, 08:00 Los Angeles is before opening', '3', '2026-11-23T16:00:00Z', '2026-11-23T17:30:00.000Z'],
    ['an owner without a team: the config zone', '8', '2026-11-23T21:50:00Z', '2026-11-24T14:20:00.000Z'],
  ])('%s', (_name, owner, at, due) => {
    expect(
      new Date(
        dueTime(Date.parse(at), { minutes: 30, calendar: false }, teamHours(config, 'hubspot', owner)),
      ).toISOString(),
    ).toBe(due);
  });

  it('steps count from the due date in business time', () => {
    expect(stepAt(config, task())).toBe(NOW_MS + 30 * MIN);
    expect(stepAt(config, task({ step: 1 }))).toBe(NOW_MS + 60 * MIN);
    // Due at 16:50 New York: the reassignment 30 business minutes later is Tuesday 09:20.
    expect(new Date(stepAt(config, task({ step: 1, dueAt: Date.parse('2026-11-23T21:50:00Z') }))!).toISOString()).toBe(
      '2026-11-24T14:20:00.000Z',
    );
    expect(stepAt(config, task({ step: 3 }))).toBeNull();
  });
});

describe('deciding an SLA step', () => {
  it.each([
    ['the task was completed', { view: { ...open, open: false } }, 'closed'],
    ['the task is gone from the CRM', { view: null }, 'gone'],
    ['the contact was called after the task was created', { contactedAt: NOW_MS + 5 * MIN }, 'contacted'],
  ] as const)('done when %s', (_name, o, reason) => {
    expect(decide(task(), NOW_MS + 31 * MIN, o)).toEqual({ kind: 'done', reason });
  });

  it('waits until the step is due; a call before the task was created does not count', () => {
    expect(decide(task(), NOW_MS + 29 * MIN)).toEqual({ kind: 'wait', at: NOW_MS + 30 * MIN });
    expect(decide(task(), NOW_MS + 30 * MIN, { contactedAt: NOW_MS - MIN }).kind).toBe('remind');
  });

  it('reminds at the due date: priority high, a note with the local times and the step mark, next step at +30 min', () => {
    const d = decide(task(), NOW_MS + 30 * MIN);
    expect(d).toMatchObject({ kind: 'remind', next: NOW_MS + 60 * MIN });
    if (d.kind !== 'remind') throw new Error('expected a remind');
    expect(d.body).toContain('Why now: demo request');
    expect(d.body).toContain('SLA missed: due Mon 23 Nov 10:30 (EST), still open at Mon 23 Nov 10:30 (EST)');
    expect(d.body).toContain(stepMark(task()));
  });

  it('reassigns to the next owner of the rotation: a new high-priority task for them, the old one closed with the reason', () => {
    const d = decide(task({ step: 1 }), NOW_MS + 60 * MIN);
    if (d.kind !== 'handoff') throw new Error(`expected a handoff, got ${d.kind}`);
    expect(d).toMatchObject({ action: 'reassign', toOwnerKey: 'ben' });
    expect(d.newTask).toMatchObject({
      key: handoffKey('a'.repeat(40), 1),
      ownerId: '2',
      priority: 'high',
      subject: '[SLA] Call them',
    });
    expect(d.newTask.dueAt).toBe(new Date(NOW_MS + 90 * MIN).toISOString()); // the SLA again, from now
    expect(d.newTask.body).toMatch(/^\[leadstage\] Reassigned from ana to ben: SLA missed/);
    expect(d.newTask.body).not.toContain('[leadstage:aaaa]'); // the new task gets its own marker
    expect(d.closingBody).toContain('Closed: SLA missed');
    expect(d.next).toMatchObject({ step: 2, ownerId: '2', tried: ['ana'], dueAt: NOW_MS + 90 * MIN });
    expect(d.next.loanedFrom).toBeUndefined();
  });

  it.each([
    ['ben is away: cy', ['2'], 'cy', '3'],
    ['ben and cy are away: no one to reassign, so the manager', ['2', '3'], 'max', '9'],
  ])('skips owners who are away (%s)', (_name, away, key, id) => {
    const d = decide(task({ step: 1 }), NOW_MS + 60 * MIN, { away });
    if (d.kind !== 'handoff') throw new Error(`expected a handoff, got ${d.kind}`);
    expect(d.toOwnerKey).toBe(key);
    expect(d.newTask.ownerId).toBe(id);
  });

  it('hands the lead on at once when its owner is away (no pointless remind), and lends it for the return', () => {
    const d = decide(task(), NOW_MS + 30 * MIN, { away: ['1'] });
    if (d.kind !== 'handoff') throw new Error(`expected a handoff, got ${d.kind}`);
    expect(d).toMatchObject({ action: 'reassign', toOwnerKey: 'ben' });
    expect(d.newTask.body).toContain('(ana is away)');
    expect(d.next.loanedFrom).toBe('ana');
  });

  it('escalates to the team manager at the last step, then the fallback manager, then the ladder ends', () => {
    const t = task({ step: 2, ownerId: '2' });
    const d = decide(t, NOW_MS + 60 * MIN, { view: { ...open, ownerId: '2' } });
    expect(d).toMatchObject({ kind: 'handoff', action: 'escalate', toOwnerKey: 'max' });
    expect(decide(t, NOW_MS + 60 * MIN, { view: { ...open, ownerId: '2' }, away: ['9'] })).toMatchObject({
      kind: 'handoff',
      toOwnerKey: 'zoe',
    });
    expect(decide(t, NOW_MS + 60 * MIN, { view: { ...open, ownerId: '2' }, away: ['9', '8'] })).toEqual({
      kind: 'done',
      reason: 'ladder-ended',
    });
  });

  it('follows the owner the CRM shows (a rep reassigned it by hand), in that owner team hours', () => {
    const t = task({ step: 1 });
    const view = { ...open, ownerId: '3' };
    // Due 07:30 in Los Angeles, before cy's team opens at 09:00: the reassignment waits for 09:30 there.
    expect(decide(t, NOW_MS + 60 * MIN, { view })).toEqual({ kind: 'wait', at: Date.parse('2026-11-23T17:30:00Z') });
    const d = decide(t, Date.parse('2026-11-23T17:30:00Z'), { view });
    expect(d).toMatchObject({ kind: 'handoff', toOwnerKey: 'ana' }); // after cy in the pool order comes ana
  });

  it('retires the task when the contact went back below its stage (a recycled MQL), with the reason', () => {
    const d = decideEscalation({
      config,
      task: task(),
      view: open,
      contactedAt: null,
      nowMs: NOW_MS + 30 * MIN,
      awayOwnerIds: new Set(),
      contactStage: 'lead',
    });
    expect(d).toMatchObject({
      kind: 'retire',
      body: expect.stringContaining('the lead went back to lead before anyone followed up'),
    });
    // Still an MQL (or further on): the ladder goes on.
    for (const contactStage of ['marketingqualifiedlead', 'salesqualifiedlead', null]) {
      expect(
        decideEscalation({
          config,
          task: task(),
          view: open,
          contactedAt: null,
          nowMs: NOW_MS + 30 * MIN,
          awayOwnerIds: new Set(),
          contactStage,
        }).kind,
      ).toBe('remind');
    }
  });

  it('does nothing without an escalation config', () => {
    const plain = makeConfig();
    expect(
      decideEscalation({
        config: plain,
        task: task(),
        view: open,
        contactedAt: null,
        nowMs: NOW_MS + DAY_MS,
        awayOwnerIds: new Set(),
      }),
    ).toEqual({ kind: 'done', reason: 'no-escalation' });
  });
});

const DAY_MS = 86_400_000;
