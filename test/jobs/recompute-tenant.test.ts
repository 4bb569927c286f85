import { beforeEach, describe, expect, it } from 'vitest';
import { recomputeTenant, type RecomputeDeps } from '../../jobs/recompute-tenant.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { CrmTransientError } from '../../src/platform/crm-errors.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { FakeCrm } from '../fakes/fake-crm.ts';
import { FakeActivities, FakeDeadLetters, FakeRecomputeStore, FakeScoreHistory } from '../fakes/fake-stores.ts';
import { act, defaultConfig, NOW } from '../helpers/fixtures.ts';

// The recompute use case on in-process fakes: no Redis, no network, a fixed clock.
const tenant = { crm: 'hubspot', id: '62515' };
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
let store: FakeRecomputeStore;
let activities: FakeActivities;
let dead: FakeDeadLetters;
let deps: RecomputeDeps;

beforeEach(() => {
  crm = new FakeCrm();
  crm.owners = [
    { id: '1001', active: true },
    { id: '1002', active: true },
    { id: '1003', active: true },
    { id: '1004', active: false },
  ];
  store = new FakeRecomputeStore();
  activities = new FakeActivities();
  dead = new FakeDeadLetters();
  deps = {
    config: defaultConfig(),
    crm,
    activities,
    store,
    deadLetters: dead,
    clock: new FakeClock(NOW.getTime()),
    log: createLogger('silent'),
    batchSize: 200,
    owners: async () => crm.listOwners(),
  };
});

/** A strong-fit VP who asked for a demo: crosses into MQL and gets a follow-up task. */
function hotLead(id: string): void {
  crm.add({ objectType: 'contact', id, stage: 'lead', leadStatus: null, ownerId: null, fields: vp });
  activities.byContact.set(id, [act('demo_request', 0), act('page_view', 0, { url: 'https://example.com/pricing' })]);
}

describe('recomputeTenant', () => {
  it('reads once, creates one task per MQL, writes only what changed', async () => {
    hotLead('1');
    hotLead('2');
    crm.add({ objectType: 'contact', id: '3', stage: 'subscriber', leadStatus: null, ownerId: null, fields: {} });
    await store.markPending(
      tenant,
      [1, 2, 3].map((n) => ({ objectType: 'contact', id: String(n) })),
    );

    const s = await recomputeTenant(tenant, deps);
    expect(s).toMatchObject({
      contacts: 3,
      tasksCreated: 2,
      written: 3,
      retry: [],
      deadLettered: [],
      morePending: false,
    });
    expect(crm.tasks.map((t) => t.contactId).sort()).toEqual(['1', '2']);
    expect(crm.contacts.get('1')!.stage).toBe('marketingqualifiedlead');
    expect(crm.callLog.filter((c) => c === 'read')).toHaveLength(1);

    // Nothing changed since: a second pass writes nothing and creates nothing.
    await store.markPending(tenant, [
      { objectType: 'contact', id: '1' },
      { objectType: 'contact', id: '3' },
    ]);
    const again = await recomputeTenant(tenant, deps);
    expect(again).toMatchObject({ written: 0, unchanged: 2, tasksCreated: 0 });
    expect(crm.tasks).toHaveLength(2);
  });

  it('records each accepted score or stage change in the score ledger, with its reasons and config version', async () => {
    const ledger = new FakeScoreHistory();
    hotLead('1');
    crm.add({
      objectType: 'contact',
      id: '3',
      stage: 'subscriber',
      leadStatus: null,
      ownerId: null,
      fields: {},
      scored: { score: 0, grade: 'D', reasons: null },
    });
    await store.markPending(tenant, [
      { objectType: 'contact', id: '1' },
      { objectType: 'contact', id: '3' },
    ]);
    await recomputeTenant(tenant, { ...deps, ledger, configVersion: 'abc123def456' });
    expect(ledger.entries.map((e) => e.id)).toEqual(['1']); // 3: nothing it shows moved (score 0 stays 0)
    const { entry } = ledger.entries[0]!;
    expect(entry).toMatchObject({
      at: NOW.toISOString(),
      cause: 'event',
      score: { from: null },
      stage: { from: 'lead', to: 'marketingqualifiedlead' },
      configVersion: 'abc123def456',
    });
    expect(entry.score.to).toBe(crm.contacts.get('1')!.scored!.score);
    expect(entry.reasons[0]).toMatch(/^demo-request \+\d+/);
    expect(entry.stageReason).toMatch(/^meets marketingqualifiedlead/);
    // A pass that changes nothing adds nothing.
    await store.markPending(tenant, [{ objectType: 'contact', id: '1' }]);
    await recomputeTenant(tenant, { ...deps, ledger });
    expect(ledger.entries).toHaveLength(1);
  });

  it('a retry after the writes failed does not create the task twice', async () => {
    hotLead('1');
    await store.markPending(tenant, [{ objectType: 'contact', id: '1' }]);
    crm.refuseWrite.set('1', { reason: 'INTERNAL_ERROR: try later', retryable: true });
    const first = await recomputeTenant(tenant, deps);
    expect(first.retry).toEqual([{ id: '1', reason: 'INTERNAL_ERROR: try later' }]);
    expect(crm.tasks).toHaveLength(1);
    expect([...store.inflight.values()][0]!.has('contact:1')).toBe(true); // kept for the retry

    crm.refuseWrite.clear();
    const second = await recomputeTenant(tenant, deps);
    expect(second).toMatchObject({ written: 1, tasksCreated: 0, tasksAlreadyThere: 1, retry: [] });
    expect(crm.tasks).toHaveLength(1);
    expect([...store.inflight.values()][0]!.size).toBe(0);
  });

  // Found by scripts/drills/kill-worker.ts: a redone batch replans owners with a rotation that has
  // moved on; the contact must get the owner its existing task has, not a new pick.
  it('a redone batch gives the contact the owner its task already has', async () => {
    hotLead('1');
    await store.markPending(tenant, [{ objectType: 'contact', id: '1' }]);
    crm.refuseWrite.set('1', { reason: 'INTERNAL_ERROR: try later', retryable: true });
    await recomputeTenant(tenant, deps);
    const taskOwner = crm.tasks[0]!.ownerId;
    crm.refuseWrite.clear();
    await recomputeTenant(tenant, deps); // the rotation now points at the next owner
    expect(crm.tasks).toHaveLength(1);
    expect(crm.contacts.get('1')!.ownerId).toBe(taskOwner);
  });

  it('a task whose create answer was lost is looked up on retry, not created again', async () => {
    hotLead('1');
    await store.markPending(tenant, [{ objectType: 'contact', id: '1' }]);
    crm.failNextTaskCall = { error: new CrmTransientError('create tasks: HubSpot 502'), when: 'after' };
    await expect(recomputeTenant(tenant, deps)).rejects.toThrow('502');
    expect(crm.tasks).toHaveLength(1); // the CRM created it; we never heard

    const s = await recomputeTenant(tenant, deps);
    expect(crm.callLog.filter((c) => c === 'find-tasks')).toHaveLength(1);
    expect(s).toMatchObject({ tasksCreated: 0, tasksAlreadyThere: 1, written: 1 });
    expect(crm.tasks).toHaveLength(1);
  });

  it('a task create that failed before reaching the CRM is created on retry', async () => {
    hotLead('1');
    await store.markPending(tenant, [{ objectType: 'contact', id: '1' }]);
    crm.failNextTaskCall = { error: new CrmTransientError('create tasks: socket hang up'), when: 'before' };
    await expect(recomputeTenant(tenant, deps)).rejects.toThrow('socket hang up');
    const s = await recomputeTenant(tenant, deps);
    expect(s).toMatchObject({ tasksCreated: 1, written: 1 });
    expect(crm.tasks).toHaveLength(1);
  });

  it('a record the CRM refuses for good goes to the dead-letter list; the rest of the batch is written', async () => {
    hotLead('1');
    hotLead('2');
    await store.markPending(tenant, [
      { objectType: 'contact', id: '1' },
      { objectType: 'contact', id: '2' },
    ]);
    crm.refuseWrite.set('2', { reason: 'VALIDATION_ERROR: rule "Company required"', retryable: false });
    const s = await recomputeTenant(tenant, deps);
    expect(s).toMatchObject({
      written: 1,
      retry: [],
      deadLettered: [{ id: '2', reason: 'VALIDATION_ERROR: rule "Company required"' }],
    });
    expect(dead.letters).toMatchObject([{ kind: 'contact', objectType: 'contact', id: '2', count: 1 }]);
    expect(crm.contacts.get('1')!.stage).toBe('marketingqualifiedlead');
    expect([...store.inflight.values()][0]!.size).toBe(0); // not retried forever
  });

  it("a refused task holds back its contact's stage write and is dead-lettered with its claim released", async () => {
    hotLead('1');
    await store.markPending(tenant, [{ objectType: 'contact', id: '1' }]);
    crm.refuseTask.set('1', { reason: 'VALIDATION_ERROR: owner is not active', retryable: false });
    const s = await recomputeTenant(tenant, deps);
    expect(s.written).toBe(0);
    expect(dead.letters).toMatchObject([{ kind: 'task', id: '1' }]);
    expect(store.ledger.size).toBe(0);
    expect(crm.contacts.get('1')!.stage).toBe('lead');
  });

  it('isolates a record that makes the whole call fail: it is dead-lettered, the other seven are written', async () => {
    const ids = ['1', '2', '3', '4', '5', '6', '7', '8'];
    for (const id of ids) hotLead(id);
    crm.poisonIds.add('6');
    await store.markPending(
      tenant,
      ids.map((id) => ({ objectType: 'contact', id })),
    );
    const s = await recomputeTenant(tenant, deps);
    expect(s).toMatchObject({ contacts: 8, written: 7, tasksCreated: 7, retry: [] });
    expect(dead.letters).toMatchObject([{ kind: 'contact', id: '6', reason: expect.stringContaining('MALFORMED_ID') }]);
    expect([...store.inflight.values()][0]!.size).toBe(0); // the tenant is not blocked
    expect(crm.callLog.filter((c) => c === 'read').length).toBeLessThanOrEqual(1 + 2 * Math.log2(8));
  });

  it('dead-letters an id the CRM can never have before any call', async () => {
    hotLead('1');
    Object.assign(crm, {
      rejectsId: (r: { id: string }) => (/^\d+$/.test(r.id) ? null : `not a HubSpot record id: ${r.id}`),
    });
    await store.markPending(tenant, [
      { objectType: 'contact', id: '1' },
      { objectType: 'contact', id: "1' OR 1=1" },
    ]);
    const s = await recomputeTenant(tenant, deps);
    expect(s).toMatchObject({
      written: 1,
      deadLettered: [{ id: "1' OR 1=1", reason: expect.stringContaining('not a HubSpot record id') }],
    });
    expect(crm.callLog.filter((c) => c === 'read')).toHaveLength(1); // no bisection needed
  });

  it('skips deleted contacts and counts the ones the CRM no longer has', async () => {
    hotLead('1');
    await store.markPending(
      tenant,
      ['1', '2', '3'].map((id) => ({ objectType: 'contact', id })),
    );
    store.tombstones.add('hubspot:62515:2');
    const s = await recomputeTenant(tenant, deps);
    expect(s).toMatchObject({ contacts: 3, gone: 1, notFound: 1, written: 1 });
  });

  it('takes at most batchSize contacts and says more are pending', async () => {
    for (let i = 1; i <= 5; i++)
      crm.add({ objectType: 'contact', id: String(i), stage: null, leadStatus: null, ownerId: null, fields: {} });
    await store.markPending(
      tenant,
      ['1', '2', '3', '4', '5'].map((id) => ({ objectType: 'contact', id })),
    );
    const s = await recomputeTenant(tenant, { ...deps, batchSize: 2 });
    expect(s).toMatchObject({ contacts: 2, morePending: true });
  });

  it('skips owners who are away: on a configured away day, or marked away until later', async () => {
    const config = defaultConfig();
    config.assignment.owners.find((o) => o.key === 'rep-1')!.away = [{ from: '2026-11-20', until: '2026-11-23' }]; // NOW is the 23rd
    const marked = new Map([
      ['rep-3', NOW.getTime() + 3_600_000],
      ['rep-2', NOW.getTime() - 1],
    ]); // rep-2's mark is over
    for (const id of ['1', '2', '3', '4']) hotLead(id);
    await store.markPending(
      tenant,
      ['1', '2', '3', '4'].map((id) => ({ objectType: 'contact', id })),
    );
    await recomputeTenant(tenant, { ...deps, config, awayOwners: async () => marked });
    expect(new Set(crm.tasks.map((t) => t.ownerId))).toEqual(new Set(['1002']));
  });

  it('never assigns an owner the CRM reports inactive', async () => {
    crm.owners = [
      { id: '1001', active: false },
      { id: '1002', active: true },
      { id: '1003', active: false },
    ];
    for (const id of ['1', '2', '3']) hotLead(id);
    await store.markPending(
      tenant,
      ['1', '2', '3'].map((id) => ({ objectType: 'contact', id })),
    );
    await recomputeTenant(tenant, deps);
    const owners = new Set(crm.tasks.map((t) => t.ownerId));
    expect(owners).toEqual(new Set(['1002']));
  });
});
