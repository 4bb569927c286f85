import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import type { IngressOp, Tenant } from '../../src/platform/tenant.ts';
import { ActivityStore } from '../../src/store/activity-store.ts';
import { INGEST_SCRIPT, SETTLE_SCRIPT } from '../../src/store/ingest-script.ts';
import { ingest, type IngestDeps } from '../../src/store/ingest.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// `ingest` directly, on a real Redis (its scripts are the thing under test), with the queue port
// faked: which recomputes it asks for, and what happens when asking fails.
let redis: Redis;
const root = `lsig${randomBytes(3).toString('hex')}`;
let keys: Keys;
let asked: string[];
let failAsk: Error | null;
let deps: IngestDeps;
let store: ActivityStore;
const tenant: Tenant = { crm: 'hubspot', id: '62515' };
const contact = (id: string) => ({ tenant, objectType: 'contact', id });
const activity = (d: string, id: string, actId: string, at = 1_700_000_000_000): IngressOp => ({
  kind: 'activity',
  deliveryKey: d,
  contact: contact(id),
  activity: { id: actId, type: 'page_view', at, attributes: {} },
});

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  INGEST_SCRIPT.register(redis);
  SETTLE_SCRIPT.register(redis);
});
afterAll(async () => {
  await deleteByPrefix(redis, root);
  await redis.quit();
});
beforeEach(() => {
  keys = new Keys(`${root}:${randomBytes(2).toString('hex')}`);
  asked = [];
  failAsk = null;
  store = new ActivityStore(redis, keys, { maxAgeDays: 365 });
  deps = {
    redis,
    keys,
    batchWindowMs: 0,
    deliveryTtlMs: 60_000,
    limits: { claimTtlMs: 30_000, maxAgeMs: 365 * 86_400_000, tombstoneMs: 86_400_000 },
    requestRecompute: async (t) => {
      if (failAsk) throw failAsk;
      asked.push(`${t.crm}:${t.id}`);
    },
    requestResolve: async () => void asked.push('resolve'),
  };
});

describe('ingest', () => {
  it('stores activities, marks contacts pending and asks for one recompute per tenant', async () => {
    const r = await ingest([activity('d1', '1', 'a1'), activity('d2', '1', 'a2'), activity('d3', '2', 'a3')], deps);
    expect(r).toEqual({ accepted: 3, duplicates: 0, busy: 0 });
    expect(asked).toEqual(['hubspot:62515']);
    expect(await store.pending(tenant)).toEqual(['contact:1', 'contact:2']);
    expect((await store.activities(contact('1'), 1_700_000_000_000)).map((a) => a.id)).toEqual(['a1', 'a2']);
  });

  it('drops a delivery it has already queued, and asks for nothing', async () => {
    await ingest([activity('d1', '1', 'a1')], deps);
    asked = [];
    expect(await ingest([activity('d1', '1', 'a1')], deps)).toEqual({ accepted: 0, duplicates: 1, busy: 0 });
    expect(asked).toEqual([]);
  });

  it("releases its claims when the recompute cannot be queued, so the sender's retry is accepted", async () => {
    failAsk = new Error('Connection is closed.');
    await expect(ingest([activity('d1', '1', 'a1')], deps)).rejects.toThrow('Connection is closed.');
    failAsk = null;
    expect(await ingest([activity('d1', '1', 'a1')], deps)).toEqual({ accepted: 1, duplicates: 0, busy: 0 });
  });

  it('erases a deleted contact and drops its late events; a merge moves activities to the survivor', async () => {
    await ingest([activity('d1', '1', 'a1'), activity('d2', '2', 'a2'), activity('d3', '3', 'a3')], deps);
    await ingest([{ kind: 'erase', deliveryKey: 'd4', contact: contact('1'), privacy: true }], deps);
    await ingest([activity('d5', '1', 'a5')], deps);
    expect(await store.activities(contact('1'), 1_700_000_000_000)).toEqual([]);
    await ingest([{ kind: 'merge', deliveryKey: 'd6', tenant, survivorId: '2', mergedIds: ['3'] }], deps);
    expect((await store.activities(contact('2'), 1_700_000_000_000)).map((a) => a.id)).toEqual(['a2', 'a3']);
    expect(await store.pending(tenant)).toEqual(['contact:2']);
  });

  it('links an engagement once both its creation and its association have arrived, in either order', async () => {
    const meta = { type: 'call_logged', at: 1_700_000_000_000, attributes: {} };
    await ingest([{ kind: 'engagement', deliveryKey: 'e1', tenant, engagementId: '0-48:77', contactIds: ['5'] }], deps);
    expect(await store.activities(contact('5'), 1_700_000_000_000)).toEqual([]);
    await ingest([{ kind: 'engagement', deliveryKey: 'e2', tenant, engagementId: '0-48:77', meta }], deps);
    expect((await store.activities(contact('5'), 1_700_000_000_000)).map((a) => a.type)).toEqual(['call_logged']);
  });
});
