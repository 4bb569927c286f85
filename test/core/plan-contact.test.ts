import { describe, expect, it } from 'vitest';
import { planContact } from '../../src/core/plan-contact.ts';
import { taskKey } from '../../src/core/tasks.ts';
import type { Activity, ContactSnapshot, Plan, PlanInput } from '../../src/core/types.ts';
import { act, contact, defaultConfig, NOW } from '../helpers/fixtures.ts';

const config = defaultConfig();
const strongFit = {
  email: 'dana@northwind.io',
  firstName: 'Dana',
  lastName: 'Ortiz',
  company: 'Northwind',
  jobTitle: 'VP Marketing',
  industry: 'Software',
  employeeBand: '100-500',
  country: 'United States',
};

function plan(c: Partial<ContactSnapshot>, activities: Activity[] = [], extra: Partial<PlanInput> = {}): Plan {
  const r = planContact({ contact: contact(c), activities, config, now: NOW, ...extra });
  if (!r.ok) throw new Error(r.error.message);
  return r.plan;
}

describe('planContact: scenarios on the shipped config (Monday 10:00 New York)', () => {
  it('a strong-fit VP who requests a demo becomes MQL with a 5-minute high-priority call', () => {
    const p = plan({ stage: 'lead', fields: strongFit }, [act('demo_request'), act('email_open', 2)]);
    expect(p.stage).toMatchObject({ from: 'lead', to: 'marketingqualifiedlead', changed: true });
    expect(p.grade).toBe('A');
    expect(p.leadStatus).toBe('new');
    expect(p.owner).toMatchObject({ source: 'rotation', poolId: 'default', ownerKey: 'rep-1', ownerId: '1001' });
    expect(p.tasks).toHaveLength(1);
    expect(p.tasks[0]).toMatchObject({
      ruleId: 'mql-follow-up',
      priority: 'high',
      slaRuleId: 'hot-inbound',
      type: 'call',
      ownerId: '1001',
      dueAt: '2026-11-23T15:05:00.000Z',
    });
    expect(p.tasks[0]!.subject).toBe(`Follow up with Dana Ortiz (Northwind): MQL, score ${p.score.total}, grade A`);
    expect(p.changes).toMatchObject({
      stage: 'marketingqualifiedlead',
      leadStatus: 'new',
      ownerId: '1001',
      grade: 'A',
    });
  });

  it('a demo request on Saturday night is due 5 minutes after Monday opens', () => {
    const sat = new Date('2026-11-29T02:00:00Z');
    const r = planContact({
      contact: contact({ stage: 'lead', fields: strongFit }),
      activities: [{ id: 'd', type: 'demo_request', at: sat.getTime() - 60_000, attributes: {} }],
      config,
      now: sat,
    });
    expect(r.ok && r.plan.tasks[0]!.dueAt).toBe('2026-11-30T14:05:00.000Z');
  });

  it('a newsletter subscriber who opens an e-mail becomes a lead, with no owner and no task', () => {
    const p = plan({ stage: 'subscriber', fields: { email: 'x@acme.io' } }, [act('email_open'), act('email_open', 1)]);
    expect(p.stage).toMatchObject({ to: 'lead', changed: true });
    expect(p.owner).toBeNull();
    expect(p.tasks).toEqual([]);
    expect(p.leadStatus).toBeNull();
  });

  it('a competitor never reaches sales, whatever it does', () => {
    const p = plan({ stage: 'lead', fields: { ...strongFit, email: 'spy@rivalscore.io' } }, [
      act('demo_request'),
      act('page_view', 0, { url: '/pricing' }),
      act('meeting_booked'),
    ]);
    expect(p.disqualified).toEqual({ ruleId: 'competitor', reason: 'competitor' });
    expect(p.stage.to).toBe('lead');
    expect(p.leadStatus).toBe('unqualified');
    expect(p.tasks).toEqual([]);
    expect(p.owner).toBeNull();
    expect(p.reasonText).toContain('Disqualified: competitor');
    // Scored 0, not its raw points: the parts stay visible for `leadstage explain`.
    expect(p.score.total).toBe(0);
    expect(p.score.engagement).toBeGreaterThan(50);
    expect(p.changes.score).toBe(0);
  });

  it('a highly engaged student is nurtured, not sent to sales', () => {
    const p = plan({ stage: 'lead', fields: { email: 'kim@mit.edu', jobTitle: 'Student' } }, [
      act('demo_request'),
      act('webinar_attended'),
      act('content_download'),
      act('email_reply'),
    ]);
    expect(p.grade).toBe('D');
    expect(p.score.engagement).toBeGreaterThanOrEqual(60);
    expect(p.stage).toMatchObject({ to: 'lead', changed: false });
    expect(p.leadStatus).toBe('nurture');
    expect(p.tasks).toEqual([]);
  });

  it('a BANT-qualified MQL becomes SQL with a 4-hour task for its existing owner', () => {
    const fields = { ...strongFit, budget: '50k', need: 'replace spreadsheets', purchaseTimeframe: 'This quarter' };
    const p = plan({ stage: 'marketingqualifiedlead', ownerId: '1002', leadStatus: 'in_progress', fields });
    expect(p.bant).toEqual({ satisfied: ['budget', 'authority', 'need', 'timing'], count: 4 });
    expect(p.stage).toMatchObject({ from: 'marketingqualifiedlead', to: 'salesqualifiedlead' });
    expect(p.owner).toMatchObject({ ownerId: '1002', source: 'existing', ownerKey: 'rep-2' });
    expect(p.leadStatus).toBeNull(); // sales already works it
    expect(p.tasks[0]).toMatchObject({
      ruleId: 'sql-follow-up',
      priority: 'high',
      dueAt: '2026-11-23T19:00:00.000Z',
      ownerId: '1002',
    });
    expect(p.changes.ownerId).toBeUndefined();
  });

  it('a skipped MQL gets only the SQL task', () => {
    const fields = { ...strongFit, budget: 'yes', need: 'yes', purchaseTimeframe: 'next quarter' };
    const p = plan({ stage: 'subscriber', fields });
    expect(p.stage.to).toBe('salesqualifiedlead');
    expect(p.tasks.map((t) => t.ruleId)).toEqual(['sql-follow-up']);
  });

  it('an EMEA contact goes to the EMEA pool and skips its inactive owner', () => {
    const p = plan({ stage: 'lead', fields: { ...strongFit, country: 'Germany' } }, [act('demo_request')]);
    expect(p.owner).toMatchObject({ poolId: 'emea', ownerKey: 'rep-3', ownerId: '1003' });
  });

  it('an opportunity is rescored but never moved, and gets no task', () => {
    const p = plan({ stage: 'opportunity', fields: strongFit }, [act('demo_request')]);
    expect(p.stage).toMatchObject({ to: 'opportunity', changed: false });
    expect(p.tasks).toEqual([]);
    expect(p.changes.stage).toBeUndefined();
    expect(p.changes.score).toBe(p.score.total);
  });

  it('an MQL whose engagement decayed while sales worked it stays MQL and gets no second task', () => {
    const p = plan({ stage: 'marketingqualifiedlead', leadStatus: 'IN_PROGRESS', fields: { email: 'a@acme.io' } }, [
      act('demo_request', 200),
    ]);
    expect(p.stage).toMatchObject({ to: 'marketingqualifiedlead', changed: false });
    expect(p.tasks).toEqual([]);
  });

  // The shipped recycle rule: marketingqualifiedlead → lead, status nurture, while sales has not worked it.
  it.each([
    ['no status', null],
    ['the handoff status', 'new'],
    ['the nurture status', 'nurture'],
  ])(
    'recycles a stale MQL whose lead status is %s back to lead (nurture), with the reason, and no task',
    (_, status) => {
      const p = plan({ stage: 'marketingqualifiedlead', leadStatus: status, fields: { email: 'a@acme.io' } }, [
        act('demo_request', 200),
      ]);
      expect(p.stage).toMatchObject({ from: 'marketingqualifiedlead', to: 'lead', changed: true, recycled: true });
      expect(p.stage.reason).toMatch(/^recycled to lead: no longer meets marketingqualifiedlead \(score \d+ < 60/);
      expect(p.changes).toMatchObject({ stage: 'lead', ...(status === 'nurture' ? {} : { leadStatus: 'nurture' }) });
      expect(p.tasks).toEqual([]);
    },
  );

  it('does not recycle an MQL that still meets its criteria', () => {
    const p = plan({ stage: 'marketingqualifiedlead', leadStatus: 'new', fields: strongFit }, [
      act('demo_request', 1),
      act('pricing_page_view', 1),
    ]);
    expect(p.stage).toMatchObject({ to: 'marketingqualifiedlead', changed: false });
  });

  it('writes nothing when the CRM already holds the plan', () => {
    const first = plan({ stage: 'lead', fields: strongFit }, [act('email_open')]);
    const again = plan(
      {
        stage: first.stage.to,
        fields: strongFit,
        scored: { score: first.score.total, grade: first.grade, reasons: first.reasonText },
      },
      [act('email_open')],
    );
    expect(again.changes).toEqual({});
  });

  it('writes only the fields that changed', () => {
    // A status sales set (so the stale MQL is not recycled).
    const p = plan(
      {
        stage: 'marketingqualifiedlead',
        leadStatus: 'IN_PROGRESS',
        ownerId: '1001',
        fields: strongFit,
        scored: { score: 1, grade: 'A', reasons: 'old' },
      },
      [act('email_open')],
    );
    expect(Object.keys(p.changes).sort()).toEqual(['reasons', 'score']);
  });

  it('gives the same task key on a retry, and a new one for a later entry into the stage', () => {
    const c = { stage: 'lead', fields: strongFit };
    const a = plan(c, [act('demo_request')]);
    const b = plan(c, [act('demo_request'), act('email_open')]);
    expect(a.tasks[0]!.key).toBe(b.tasks[0]!.key);
    expect(a.tasks[0]!.key).toBe(taskKey(contact(c), 'mql-follow-up', 'marketingqualifiedlead', 0));
    const reentry = plan({ ...c, stageEntries: { marketingqualifiedlead: 1 } }, [act('demo_request')]);
    expect(reentry.tasks[0]!.key).not.toBe(a.tasks[0]!.key);
    const otherContact = plan({ ...c, id: '102' }, [act('demo_request')]);
    expect(otherContact.tasks[0]!.key).not.toBe(a.tasks[0]!.key);
  });

  it('advances the shared rotation state it was given', () => {
    const state = { rotation: { default: { 'rep-1': -1, 'rep-2': 1 } } };
    const p = plan({ stage: 'lead', fields: strongFit }, [act('demo_request')], { assignment: state });
    expect(p.owner?.ownerKey).toBe('rep-2');
    expect(p.rotation).toEqual({ poolId: 'default', credits: { 'rep-1': 1, 'rep-2': -1 } });
  });

  it('counts activities dated after now as happening now', () => {
    const future = plan({ stage: 'lead', fields: strongFit }, [act('email_click', -3)]);
    const present = plan({ stage: 'lead', fields: strongFit }, [act('email_click', 0)]);
    expect(future.score).toEqual(present.score);
  });

  it('cuts the reason text to the CRM field length', () => {
    const p = plan(
      { crm: 'salesforce', objectType: 'lead', fields: strongFit },
      Array.from({ length: 40 }, (_, i) =>
        act(
          ['email_open', 'email_click', 'page_view', 'content_download', 'webinar_attended', 'form_submission'][i % 6]!,
          i,
          { url: '/pricing', formName: 'contact us' },
        ),
      ),
    );
    expect(p.reasonText.length).toBeLessThanOrEqual(255);
    expect(p.reasonText).toMatch(/^Score \d+ = fit \d+ \(A\) \+ engagement \d+\./);
  });

  it('warns and leaves an unknown CRM stage alone, but still scores', () => {
    const p = plan({ stage: 'partner', fields: strongFit }, [act('demo_request')]);
    expect(p.stage).toMatchObject({ to: 'partner', changed: false });
    expect(p.warnings).toEqual(['current stage "partner" is not in lifecycle.stages']);
    expect(p.changes.score).toBeDefined();
  });

  it('returns an error result for an invalid clock or a contact without id', () => {
    expect(planContact({ contact: contact(), activities: [], config, now: new Date('nope') })).toEqual({
      ok: false,
      error: { code: 'invalid_now', message: '`now` is not a valid date' },
    });
    expect(planContact({ contact: contact({ id: '' }), activities: [], config, now: NOW }).ok).toBe(false);
  });
});
