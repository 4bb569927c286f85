import { beforeEach, describe, expect, it } from 'vitest';
import { escalateTenant, type EscalateDeps } from '../../jobs/escalate-tenant.ts';
import { recomputeTenant } from '../../jobs/recompute-tenant.ts';
import { CrmTransientError } from '../../src/platform/crm-errors.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { FakeCrm } from '../fakes/fake-crm.ts';
import { FakeActivities, FakeDeadLetters, FakeRecomputeStore, FakeSlaState } from '../fakes/fake-stores.ts';
import { act, defaultConfig, NOW } from '../helpers/fixtures.ts';

// The SLA escalation use case on in-process fakes, with the shipped config's ladder: remind at the
// due date, reassign 30 business minutes later, escalate to the manager (rep-1) an hour after the
// reassigned task's due date. NOW is Monday 10:00 in New York.
const tenant = { crm: 'hubspot', id: '62515' };
const MIN = 60_000;
const vp = {
  email: 'dana@northwind.io',
  firstName: 'Dana',
  lastName: 'Ortiz',
  jobTitle: 'VP Marketing',
  company: 'Northwind',
  industry: 'Software',
  employeeBand: '100-500',
  country: 'United States',
};

let crm: FakeCrm;
let clock: FakeClock;
let sla: FakeSlaState;
let store: FakeRecomputeStore;
let activities: FakeActivities;
let away: Map<string, number>;

beforeEach(() => {
  crm = new FakeCrm();
  crm.owners = [
    { id: '1001', active: true },
    { id: '1002', active: true },
    { id: '1003', active: true },
  ];
  clock = new FakeClock(NOW.getTime());
  sla = new FakeSlaState();
  store = new FakeRecomputeStore();
  activities = new FakeActivities();
  away = new Map();
});

const deps = (): EscalateDeps => ({
  config: defaultConfig(),
  crm,
  sla,
  activities,
  ledger: store,
  clock,
  log: createLogger('silent'),
  batchSize: 100,
  awayOwners: async () => away,
});

/** A strong-fit VP who asked for a demo: MQL, a call task for rep-1 due in 5 minutes (SLA hot-inbound). */
async function hotLead(id: string) {
  crm.add({ objectType: 'contact', id, stage: 'lead', leadStatus: null, ownerId: null, fields: vp });
  activities.byContact.set(id, [act('demo_request', 0)]);
  await store.markPending(tenant, [{ objectType: 'contact', id }]);
  await recomputeTenant(tenant, {
    config: defaultConfig(),
    crm,
    activities,
    store,
    deadLetters: new FakeDeadLetters(),
    clock,
    log: createLogger('silent'),
    batchSize: 100,
    owners: async () => crm.owners,
    sla,
  });
}

const at = (minutes: number) => clock.advance(NOW.getTime() + minutes * MIN - clock.now().getTime());

describe('SLA escalation', () => {
  it('reminds, reassigns to the next owner, then escalates to the manager, all visible on the tasks', async () => {
    await hotLead('1');
    expect(crm.tasks).toHaveLength(1);
    expect(crm.tasks[0]).toMatchObject({ ownerId: '1001', priority: 'high', open: true });
    expect([...sla.schedule.values()]).toEqual([NOW.getTime() + 5 * MIN]);

    at(4);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 0 });
    at(5);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 1, reminded: 1 });
    expect(crm.tasks[0]!.body).toContain(
      'SLA missed: due Mon 23 Nov 10:05 (EST), still open at Mon 23 Nov 10:05 (EST). Priority raised to high.',
    );
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 0 }); // the next step is at 10:35

    at(35);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 1, reassigned: 1 });
    expect(crm.tasks).toHaveLength(2);
    expect(crm.tasks[0]).toMatchObject({ open: false, ownerId: '1001' });
    expect(crm.tasks[0]!.body).toMatch(
      /Closed: SLA missed: due Mon 23 Nov 10:05 \(EST\), still open at Mon 23 Nov 10:35 \(EST\)\. Reassigned to rep-2\./,
    );
    expect(crm.tasks[1]).toMatchObject({
      open: true,
      ownerId: '1002',
      priority: 'high',
      subject: expect.stringMatching(/^\[SLA\] Follow up with Dana Ortiz/),
    });
    expect(crm.tasks[1]!.body).toMatch(/^\[leadstage\] Reassigned from rep-1 to rep-2: SLA missed/);
    expect(crm.tasks[1]!.dueAt).toBe(new Date(NOW.getTime() + 40 * MIN).toISOString()); // the 5-minute SLA again
    expect(crm.contacts.get('1')!.ownerId).toBe('1002'); // the contact follows its task

    at(99);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 0 });
    at(100); // the reassigned task was due 10:40; escalation an hour later
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 1, escalated: 1 });
    expect(crm.tasks).toHaveLength(3);
    expect(crm.tasks[1]).toMatchObject({ open: false });
    expect(crm.tasks[2]).toMatchObject({ open: true, ownerId: '1001' });
    expect(crm.tasks[2]!.body).toMatch(/^\[leadstage\] Escalated to the manager from rep-2 to rep-1/);
    expect(crm.contacts.get('1')!.ownerId).toBe('1002'); // an escalation leaves the contact with its owner
    expect(sla.tasks.size).toBe(0); // the ladder ended: nothing left to watch
    at(60 * 24);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 0 });
  });

  it('stops when the lead was contacted after the task was created, or the task was completed', async () => {
    await hotLead('1');
    await hotLead('2');
    activities.byContact
      .get('1')!
      .push({ id: 'call', type: 'call_logged', at: NOW.getTime() + 2 * MIN, attributes: {} });
    crm.tasks.find((t) => t.contactId === '2')!.open = false;
    at(5);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 2, met: 2, reminded: 0 });
    expect(crm.callLog.filter((c) => c === 'update-tasks')).toHaveLength(0);
    expect(sla.tasks.size).toBe(0);
  });

  it('closes the task of a contact recycled back to lead (nurture) instead of escalating it', async () => {
    await hotLead('1');
    const d = { ...deps(), snapshots: async () => new Map([['1', { stage: 'lead' }]]) };
    at(5);
    expect(await escalateTenant(tenant, d)).toMatchObject({ due: 1, retired: 1, reminded: 0 });
    expect(crm.tasks[0]).toMatchObject({ open: false });
    expect(crm.tasks[0]!.body).toContain('Closed: the lead went back to lead before anyone followed up');
    expect(sla.tasks.size).toBe(0);
  });

  it('a reassignment that dies half-way is done again without a second task or a second note', async () => {
    await hotLead('1');
    at(5);
    await escalateTenant(tenant, deps());
    at(35);
    const real = crm.updateTasks.bind(crm);
    crm.updateTasks = async () => {
      crm.updateTasks = real;
      throw new CrmTransientError('update tasks: 502 Bad Gateway');
    };
    await expect(escalateTenant(tenant, deps())).rejects.toThrow(/502/);
    expect(crm.tasks).toHaveLength(2); // the new task exists, the old one is still open
    expect(await escalateTenant(tenant, deps())).toMatchObject({ reassigned: 1 });
    expect(crm.tasks).toHaveLength(2);
    expect(crm.tasks[0]).toMatchObject({ open: false });
    expect(crm.tasks[0]!.body.match(/Closed:/g)).toHaveLength(1);
    expect(crm.tasks[1]!.ownerId).toBe('1002');
    expect([...sla.tasks.values()].map((t) => t.ownerId)).toEqual(['1002']);
  });

  it('a step the CRM refuses for good ends the watch; a transient failure retries after a pause', async () => {
    await hotLead('1');
    await hotLead('2');
    const [t1, t2] = crm.tasks;
    const real = crm.updateTasks.bind(crm);
    crm.updateTasks = async (t, updates) =>
      (await real(t, updates)).map((o) =>
        o.id === t1!.id
          ? { id: o.id, ok: false, reason: 'ENTITY_IS_DELETED: entity is deleted', retryable: false }
          : o.id === t2!.id
            ? { id: o.id, ok: false, reason: 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access', retryable: true }
            : o,
      );
    at(5);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 2, reminded: 0 });
    expect([...sla.tasks.values()].map((t) => t.taskId)).toEqual([t2!.id]); // the refused one is no longer watched
    expect([...sla.schedule.values()]).toEqual([NOW.getTime() + 10 * MIN]); // 5 minutes later, not every sweep
    at(6);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 0 });
    crm.updateTasks = real;
    at(10);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ due: 1, reminded: 1 });
  });

  it('hands a lead on at once when its owner is away, and gives it back when the owner returns', async () => {
    await hotLead('1');
    away.set('rep-1', NOW.getTime() + 120 * MIN);
    at(5);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ reminded: 0, reassigned: 1 });
    expect(crm.tasks[1]).toMatchObject({ ownerId: '1002' });
    expect(crm.tasks[1]!.body).toContain('(rep-1 is away)');
    expect(crm.contacts.get('1')!.ownerId).toBe('1002');

    activities.byContact
      .get('1')!
      .push({ id: 'call', type: 'call_logged', at: NOW.getTime() + 7 * MIN, attributes: {} });
    at(60);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ returned: 0 }); // still away
    away.clear();
    at(121);
    expect(await escalateTenant(tenant, deps())).toMatchObject({ returned: 1 });
    expect(crm.contacts.get('1')!.ownerId).toBe('1001');
    expect(crm.tasks[1]).toMatchObject({ ownerId: '1001' });
    expect(crm.tasks[1]!.body).toContain('rep-1 is back: the lead returns to them.');
    expect(await escalateTenant(tenant, deps())).toMatchObject({ returned: 0 });
  });
});
