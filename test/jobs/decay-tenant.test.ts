import { beforeEach, describe, expect, it } from 'vitest';
import { decayTenant, type DecayDeps } from '../../jobs/decay-tenant.ts';
import { recomputeTenant } from '../../jobs/recompute-tenant.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { FakeCrm } from '../fakes/fake-crm.ts';
import {
  FakeActivities,
  FakeDeadLetters,
  FakeDecayState,
  FakeRecomputeStore,
  FakeScoreHistory,
} from '../fakes/fake-stores.ts';
import { act, defaultConfig, NOW } from '../helpers/fixtures.ts';

const tenant = { crm: 'hubspot', id: '62515' };
let crm: FakeCrm;
let clock: FakeClock;
let decay: FakeDecayState;
let store: FakeRecomputeStore;
let activities: FakeActivities;
const log = createLogger('silent');

beforeEach(() => {
  crm = new FakeCrm();
  clock = new FakeClock(NOW.getTime());
  decay = new FakeDecayState();
  store = new FakeRecomputeStore();
  activities = new FakeActivities();
});

const decayDeps = (): DecayDeps => ({
  config: defaultConfig(),
  crm,
  activities,
  decay,
  clock,
  log,
  batchSize: 100,
  markPending: (t, refs) => store.markPending(t, refs),
});

/** A subscriber who read a white paper: engagement that decays, no stage to reach. */
async function reader(id: string) {
  crm.add({
    objectType: 'contact',
    id,
    stage: 'subscriber',
    leadStatus: null,
    ownerId: null,
    fields: { industry: 'Retail' },
  });
  activities.byContact.set(id, [act('content_download', 0)]);
  await store.markPending(tenant, [{ objectType: 'contact', id }]);
}

describe('decay reaching the CRM without an event', () => {
  it('schedules each written contact at its next visible change, then writes only the decayed score, without a read', async () => {
    await reader('1');
    await recomputeTenant(tenant, {
      config: defaultConfig(),
      crm,
      activities,
      store,
      decay,
      deadLetters: new FakeDeadLetters(),
      clock,
      log,
      batchSize: 200,
      owners: async () => [],
    });
    const first = crm.contacts.get('1')!.scored!.score!;
    const at = decay.schedule.get('hubspot:62515')!.get('contact:1')!;
    expect(at).toBeGreaterThan(NOW.getTime());

    clock.advance(at - NOW.getTime() - 60_000);
    expect((await decayTenant(tenant, decayDeps())).due).toBe(0); // not yet
    clock.advance(60_000);
    const callsBefore = crm.callLog.length;
    const s = await decayTenant(tenant, decayDeps());
    expect(s).toMatchObject({ due: 1, written: 1, handedOver: 0 });
    expect(crm.callLog.slice(callsBefore)).toEqual(['write']); // no read
    expect(crm.writes.at(-1)!.changes).toEqual({ score: first - 1, reasons: expect.any(String) });
    expect(decay.schedule.get('hubspot:62515')!.get('contact:1')!).toBeGreaterThan(clock.now().getTime());
  });

  it('recycles a stale MQL sales never worked back to lead (nurture) when its engagement decays, in the ledger', async () => {
    const ledger = new FakeScoreHistory();
    const vp = {
      email: 'dana@northwind.io',
      jobTitle: 'VP Marketing',
      company: 'Northwind',
      industry: 'Software',
      employeeBand: '100-500',
      country: 'United States',
    };
    crm.add({
      objectType: 'contact',
      id: '7',
      stage: 'marketingqualifiedlead',
      leadStatus: 'new',
      ownerId: '1001',
      fields: vp,
    });
    activities.byContact.set('7', [act('demo_request', 0)]);
    await store.markPending(tenant, [{ objectType: 'contact', id: '7' }]);
    await recomputeTenant(tenant, {
      config: defaultConfig(),
      crm,
      activities,
      store,
      decay,
      deadLetters: new FakeDeadLetters(),
      clock,
      log,
      batchSize: 200,
      owners: async () => [],
    });
    expect(crm.contacts.get('7')!.stage).toBe('marketingqualifiedlead');
    for (let day = 0; day < 120 && crm.contacts.get('7')!.stage !== 'lead'; day++) {
      clock.advance(86_400_000);
      while ((await decayTenant(tenant, { ...decayDeps(), ledger })).more);
    }
    expect(crm.contacts.get('7')).toMatchObject({ stage: 'lead', leadStatus: 'nurture', ownerId: '1001' });
    const recycled = ledger.entries.find((e) => e.entry.stage.to === 'lead')!.entry;
    expect(recycled).toMatchObject({ cause: 'decay', stage: { from: 'marketingqualifiedlead', to: 'lead' } });
    expect(recycled.stageReason).toMatch(
      /^recycled to lead: no longer meets marketingqualifiedlead \((score \d+ < 60|engagement \d+ < 25)/,
    );
    expect(crm.tasks).toEqual([]); // moving back never creates a task
  });

  it('hands a contact without a snapshot to the full recompute', async () => {
    await decay.record(tenant, [
      {
        snapshot: {
          crm: 'hubspot',
          objectType: 'contact',
          id: '9',
          stage: null,
          leadStatus: null,
          ownerId: null,
          fields: {},
        },
        nextChangeAt: 0,
      },
    ]);
    decay.snaps.clear();
    const s = await decayTenant(tenant, decayDeps());
    expect(s.handedOver).toBe(1);
    expect(await store.pendingCount(tenant)).toBe(1);
  });

  it('over 60 days, the CRM ends up with the score a fresh plan would give', async () => {
    for (const id of ['1', '2', '3']) await reader(id);
    await recomputeTenant(tenant, {
      config: defaultConfig(),
      crm,
      activities,
      store,
      decay,
      deadLetters: new FakeDeadLetters(),
      clock,
      log,
      batchSize: 200,
      owners: async () => [],
    });
    const initial = crm.contacts.get('1')!.scored!.score!;
    for (let h = 0; h < 60 * 4; h++) {
      clock.advance(6 * 3_600_000);
      while ((await decayTenant(tenant, decayDeps())).more);
    }
    expect(crm.contacts.get('1')!.scored!.score).toBeLessThan(initial); // it did decay
    // A full recompute now (a fresh read and plan) finds nothing to write: the CRM is current.
    await store.markPending(
      tenant,
      ['1', '2', '3'].map((id) => ({ objectType: 'contact', id })),
    );
    const fresh = await recomputeTenant(tenant, {
      config: defaultConfig(),
      crm,
      activities,
      store,
      decay,
      deadLetters: new FakeDeadLetters(),
      clock,
      log,
      batchSize: 200,
      owners: async () => [],
    });
    expect(fresh).toMatchObject({ contacts: 3, written: 0, unchanged: 3 });
  });
});
