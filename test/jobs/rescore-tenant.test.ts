import { beforeEach, describe, expect, it } from 'vitest';
import { rescoreTenant, type RescoreDeps } from '../../jobs/rescore-tenant.ts';
import { CrmRateLimitedError } from '../../src/platform/crm-errors.ts';
import type { ContactRefById } from '../../src/platform/crm-port.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { FakeCrm } from '../fakes/fake-crm.ts';
import {
  FakeActivities,
  FakeDeadLetters,
  FakeDecayState,
  FakeRecomputeStore,
  FakeRescoreCheckpoints,
  FakeScoreHistory,
} from '../fakes/fake-stores.ts';
import { act, defaultConfig, NOW } from '../helpers/fixtures.ts';

// The rescore use case on in-process fakes: one list call per page, writes pooled into full batches,
// a checkpoint per page so a crash resumes, the recompute's own planning and writing.
const tenant = { crm: 'hubspot', id: '62515' };
const vp = {
  email: 'dana@northwind.io',
  jobTitle: 'VP Marketing',
  company: 'Northwind',
  industry: 'Software',
  employeeBand: '100-500',
  country: 'United States',
};

let crm: FakeCrm;
let checkpoints: FakeRescoreCheckpoints;
let dead: FakeDeadLetters;
let handedOver: ContactRefById[];
let deps: RescoreDeps;

beforeEach(() => {
  crm = new FakeCrm();
  crm.owners = [
    { id: '1001', active: true },
    { id: '1002', active: true },
  ];
  checkpoints = new FakeRescoreCheckpoints();
  dead = new FakeDeadLetters();
  handedOver = [];
  deps = {
    config: defaultConfig(),
    crm,
    activities: new FakeActivities(),
    store: new FakeRecomputeStore(),
    deadLetters: dead,
    clock: new FakeClock(NOW.getTime()),
    owners: async () => crm.listOwners(),
    checkpoints,
    handOver: async (_t, refs) => void handedOver.push(...refs),
    sleep: async () => undefined,
  };
});

const subscribers = (n: number) => {
  for (let i = 0; i < n; i++)
    crm.add({
      objectType: 'contact',
      id: String(1000 + i),
      stage: 'subscriber',
      leadStatus: null,
      ownerId: null,
      fields: { email: `s${i}@example.com` },
    });
};
/** Contacts whose stored score is no longer what the config gives (after a config change, say). */
const drift = (ids: readonly string[]) => {
  for (const id of ids) crm.contacts.get(id)!.scored = { score: 77, grade: 'A', reasons: 'old rules' };
};
const resetCounts = () => {
  crm.callLog = [];
  crm.writes.length = 0;
};

describe('rescoreTenant', () => {
  it('reads each page once, writes only the contacts whose values change, pooled into full write batches', async () => {
    subscribers(250);
    const first = await rescoreTenant(tenant, deps);
    expect(first).toMatchObject({ read: 250, changed: 250, pages: 3, stopped: 'done', resumedFrom: null });
    expect(crm.callLog.filter((c) => c === 'list')).toHaveLength(3);

    resetCounts();
    const drifted = Array.from({ length: 30 }, (_, i) => String(1000 + i * 8)); // spread over all three pages
    drift(drifted);
    const again = await rescoreTenant(tenant, deps);
    expect(again).toMatchObject({ read: 250, changed: 30, unchanged: 220, pages: 3, floor: 4 });
    expect(crm.writes.map((w) => w.id).sort()).toEqual([...drifted].sort());
    // Three list pages and one write for the 30 changes (pooled across pages), no per-contact reads.
    expect(crm.callLog.filter((c) => c !== 'owners')).toEqual(['list', 'list', 'list', 'write']);
    expect(await checkpoints.get(tenant)).toBeNull();
  });

  it('resumes from the stored checkpoint after a crash mid-way, writing every changed contact exactly once', async () => {
    subscribers(500);
    await rescoreTenant(tenant, deps);
    resetCounts();
    const drifted = [...crm.contacts.keys()].filter((_, i) => i % 3 === 0); // 167, about 33 a page
    drift(drifted);
    crm.failListAfter = { pages: 4, error: new Error('worker killed') };
    await expect(rescoreTenant(tenant, deps)).rejects.toThrow('worker killed');
    // Pages 1–4 pooled 133 changes: 100 written, 33 of page 4 still pooled → resume at page 4.
    expect(crm.writes).toHaveLength(100);
    expect(await checkpoints.get(tenant)).toEqual({ cursor: '300', read: 300, changed: 100 });

    const resumed = await rescoreTenant(tenant, deps);
    expect(resumed).toMatchObject({ resumedFrom: '300', read: 500, changed: 167, pages: 2, stopped: 'done' });
    expect(crm.writes.map((w) => w.id).sort()).toEqual([...drifted].sort()); // none twice, none missing
    expect(await checkpoints.get(tenant)).toBeNull();
  });

  it('--restart ignores a stored checkpoint and starts from the first page', async () => {
    subscribers(150);
    await checkpoints.set(tenant, { cursor: '100', read: 100, changed: 0 });
    const r = await rescoreTenant(tenant, { ...deps, restart: true });
    expect(r).toMatchObject({ resumedFrom: null, read: 150, changed: 150, pages: 2 });
  });

  it('dead-letters a record the CRM refuses for good and hands a transient failure to the live recompute', async () => {
    subscribers(5);
    crm.refuseWrite.set('1001', {
      reason: 'VALIDATION_ERROR: jobtitle is locked by a validation rule',
      retryable: false,
    });
    crm.refuseWrite.set('1003', { reason: 'UNABLE_TO_LOCK_ROW: try again', retryable: true });
    const r = await rescoreTenant(tenant, deps);
    expect(r).toMatchObject({ read: 5, changed: 3, deadLettered: 1, handedOver: 1 });
    expect(dead.letters).toMatchObject([
      { kind: 'contact', id: '1001', reason: expect.stringMatching(/^VALIDATION_ERROR/) },
    ]);
    expect(handedOver).toEqual([{ objectType: 'contact', id: '1003' }]);
  });

  it('does what a recompute does: one task per MQL through the ledger, the score ledger and the decay schedule', async () => {
    const activities = new FakeActivities();
    const decay = new FakeDecayState();
    const ledger = new FakeScoreHistory();
    subscribers(3);
    crm.add({ objectType: 'contact', id: '7', stage: 'lead', leadStatus: null, ownerId: null, fields: vp });
    activities.byContact.set('7', [
      act('demo_request', 0),
      act('page_view', 0, { url: 'https://example.com/pricing' }),
    ]);
    const d = { ...deps, activities, decay, ledger };
    const r = await rescoreTenant(tenant, d);
    expect(r).toMatchObject({ read: 4, changed: 4, tasksCreated: 1 });
    expect(crm.tasks.map((t) => t.contactId)).toEqual(['7']);
    expect(ledger.entries.find((e) => e.id === '7')!.entry).toMatchObject({
      cause: 'event',
      stage: { from: 'lead', to: 'marketingqualifiedlead' },
    });
    expect(decay.snaps.size).toBe(4);
    // A second pass changes nothing and creates no second task.
    const again = await rescoreTenant(tenant, d);
    expect(again).toMatchObject({ changed: 0, tasksCreated: 0 });
    expect(crm.tasks).toHaveLength(1);
  });

  it('waits out a rate limit while listing, and stops near the daily quota keeping its checkpoint', async () => {
    subscribers(300);
    const slept: number[] = [];
    const list = crm.listContacts.bind(crm);
    let limited = false;
    crm.listContacts = async (t, page) => {
      if (!limited && page.cursor === '100') {
        limited = true;
        throw new CrmRateLimitedError(1_500);
      }
      return list(t, page);
    };
    let share = 0.5;
    Object.assign(crm, { quotaShare: async () => (share += 0.2) }); // 0.7 after page 1, 0.9 after page 2
    const r = await rescoreTenant(tenant, { ...deps, sleep: async (ms) => void slept.push(ms), maxQuotaShare: 0.8 });
    expect(slept).toEqual([1_500]);
    expect(r).toMatchObject({ stopped: 'quota', read: 200, changed: 200 });
    expect(r.stoppedAtQuotaShare).toBeCloseTo(0.9);
    expect(await checkpoints.get(tenant)).toEqual({ cursor: '200', read: 200, changed: 200 });
    share = 0;
    const rest = await rescoreTenant(tenant, deps);
    expect(rest).toMatchObject({ resumedFrom: '200', read: 300, changed: 300, stopped: 'done' });
  });

  it('skips tombstoned contacts and rescores nothing for an empty account', async () => {
    expect(await rescoreTenant(tenant, deps)).toMatchObject({ read: 0, changed: 0, pages: 1, floor: 1 });
    subscribers(3);
    const store = new FakeRecomputeStore();
    store.tombstones.add('hubspot:62515:1001');
    const r = await rescoreTenant(tenant, { ...deps, store });
    expect(r).toMatchObject({ read: 3, gone: 1, changed: 2 });
    expect(crm.writes.map((w) => w.id)).not.toContain('1001');
  });
});
