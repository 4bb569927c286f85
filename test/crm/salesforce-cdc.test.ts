import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import type { Connection } from 'jsforce';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ingestLimits } from '../../src/app/ingest-limits.ts';
import { salesforceCrm } from '../../src/crm/salesforce/index.ts';
import type { SalesforceCdcFeed } from '../../src/crm/salesforce/salesforce-cdc-feed.ts';
import { salesforceCdcFeed } from '../../src/crm/salesforce/salesforce-cdc-wiring.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { Keys } from '../../src/platform/keys.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { Metrics } from '../../src/platform/metrics.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import type { IngressOp } from '../../src/platform/tenant.ts';
import type { TenantRecord } from '../../src/platform/tenant-directory.ts';
import { CdcStore } from '../../src/store/cdc-store.ts';
import { INGEST_SCRIPT, SETTLE_SCRIPT } from '../../src/store/ingest-script.ts';
import { ingest } from '../../src/store/ingest.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { FakePubSubServer, type FakeHeader } from '../fakes/fake-pubsub-server.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';
import { until } from '../helpers/until.ts';

// The CDC subscriber against a fake Salesforce Pub/Sub API (test/fakes/fake-pubsub-server.ts): a
// real gRPC server over TLS speaking the bundled pubsub_api.proto, Avro-encoded change events
// with replay ids. Docs: https://developer.salesforce.com/docs/platform/pub-sub-api/guide/intro.html
// The subscriber uses salesforce-pubsub-api-client unchanged, pointed at 127.0.0.1 with the
// fake's self-signed certificate accepted (rejectUnauthorizedSsl: false; production keeps it on).

const LEADS = '/data/LeadChangeEvent';
const CONTACTS = '/data/ContactChangeEvent';
const tenant = { crm: 'salesforce', id: '00D5g000004Sxyz' };
const USER = '0055g00000UserAAA';
const clock = new FakeClock('2026-11-23T15:00:00Z');
let server: FakePubSubServer;
let redis: Redis;
let prefix = '';
let keys: Keys;
const running: SalesforceCdcFeed[] = [];
let tx = 0;

beforeAll(async () => {
  server = new FakePubSubServer();
  server.addTopic(LEADS, 'Lead', ['Status', 'Email', 'Lead_Score__c', 'Fit_Grade__c', 'LastModifiedDate']);
  server.addTopic(CONTACTS, 'Contact', ['Title', 'Email', 'Lead_Score__c', 'LastModifiedDate']);
  server.tokens.add('access-1');
  await server.start();
  redis = new Redis(REDIS_URL);
  INGEST_SCRIPT.register(redis);
  SETTLE_SCRIPT.register(redis);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
  await until(() => server.openStreams() === 0, 5_000, 'the streams to close');
  await deleteByPrefix(redis, prefix);
});
afterAll(async () => {
  await server.stop();
  await redis.quit();
});

function header(over: Partial<FakeHeader>): FakeHeader {
  tx += 1;
  return {
    entityName: 'Lead',
    recordIds: ['00Q5g00000Lead001A'],
    changeType: 'UPDATE',
    changeOrigin: 'com/salesforce/api/rest/61.0',
    transactionKey: `0000${tx}c7-a642-11e2-c29b-229c6786473e`,
    sequenceNumber: 1,
    commitTimestamp: clock.now().getTime(),
    commitUser: USER,
    changedFields: ['Status', 'LastModifiedDate'],
    ...over,
  };
}

interface Harness {
  feed: SalesforceCdcFeed;
  metrics: Metrics;
  ingested: IngressOp[][];
  session: { token: string; refreshes: number };
  /** While set, ingest waits for it (to look at Redis mid-event). */
  gate: { wait: Promise<void> | null; parked: boolean; failNext: number };
}

function newPrefix(): void {
  prefix = `lscdc${randomBytes(4).toString('hex')}`;
  keys = new Keys(prefix);
}

async function startFeed(opts: { token?: string } = {}): Promise<Harness> {
  const env = parseEnv(
    {
      REDIS_URL,
      LEADSTAGE_REDIS_PREFIX: prefix,
      SALESFORCE_CDC: 'on',
      SALESFORCE_PUBSUB_ENDPOINT: `localhost:${server.port}`,
    },
    { web: false },
  );
  if (!env.ok) throw new Error(env.errors.join('\n'));
  const metrics = new Metrics();
  const record: TenantRecord = {
    tenant,
    status: 'active',
    credentials: {},
    instanceUrl: 'https://acme.my.salesforce.com',
    config: defaultConfig(),
  };
  const session = { token: opts.token ?? 'access-1', refreshes: 0 };
  const connection = {
    get accessToken() {
      return session.token;
    },
    instanceUrl: record.instanceUrl,
    _refreshDelegate: {
      refresh: async () => {
        session.refreshes += 1;
        session.token = 'access-1';
      },
    },
  } as unknown as Connection;
  const h: Harness = {
    feed: null as unknown as SalesforceCdcFeed,
    metrics,
    ingested: [],
    session,
    gate: { wait: null, parked: false, failNext: 0 },
  };
  h.feed = salesforceCdcFeed({
    ctx: { env: env.env, redis, keys, log: createLogger('silent'), clock, maxInlineWaitMs: 0 },
    deps: {
      metrics,
      tenants: async () => [record],
      ingest: async (ops) => {
        if (h.gate.wait) {
          h.gate.parked = true;
          await h.gate.wait;
        }
        if (h.gate.failNext > 0) {
          h.gate.failNext -= 1;
          throw new Error('redis is down (test)');
        }
        h.ingested.push([...ops]);
        return ingest(ops, {
          redis,
          keys,
          limits: ingestLimits(defaultConfig()),
          batchWindowMs: 0,
          deliveryTtlMs: 86_400_000,
          requestRecompute: async () => undefined,
          requestResolve: async () => undefined,
        });
      },
    },
    store: new CdcStore(redis, keys),
    connection: async () => connection,
    ownProperties: (c) => salesforceCrm.ownProperties!(c),
    leaseMs: 600,
    retry: { minMs: 20, maxMs: 200 },
    rejectUnauthorizedSsl: false,
  });
  running.push(h.feed);
  await h.feed.start();
  return h;
}

const pending = () => redis.smembers(keys.pending(tenant));
const stored = async (channel: string) => (await new CdcStore(redis, keys).replays(tenant)).get(channel)?.replayId;
const subscribed = async (n: number) => until(() => server.openStreams() === n, 5_000, `${n} open streams`);
async function count(c: Counter, label: string, value: string): Promise<number> {
  return (await c.get()).values.find((v) => v.labels[label] === value)?.value ?? 0;
}
const lastSubscribe = (topic: string) => server.subscribes.filter((s) => s.topicName === topic).at(-1)!;

describe('Salesforce CDC subscriber', () => {
  it('turns change events into pending contacts, skips echoes, erases deletes, saves the replay id only after ingest', async () => {
    newPrefix();
    const h = await startFeed();
    await subscribed(2);
    expect(lastSubscribe(LEADS)).toMatchObject({
      replayPreset: 0,
      accessToken: 'access-1',
      instanceUrl: 'https://acme.my.salesforce.com',
      tenantId: tenant.id,
    });

    // A user's change: the lead becomes pending, and only then is its replay id stored.
    let open!: () => void;
    h.gate.wait = new Promise<void>((r) => (open = r));
    const first = server.publish(LEADS, header({ recordIds: ['00Q5g00000Lead001A'] }), { Status: 'Working' });
    await until(() => h.gate.parked, 5_000, 'the event to reach ingest');
    expect(await stored(LEADS)).toBeUndefined();
    h.gate.wait = null;
    open();
    await until(async () => (await stored(LEADS)) === String(first), 5_000, 'the replay id to be stored');
    expect(await pending()).toContain('lead:00Q5g00000Lead001A');

    // Our own write (score fields + LastModifiedDate) is an echo: nothing pending, position still moves.
    const echo = server.publish(
      LEADS,
      header({
        recordIds: ['00Q5g00000Lead002A'],
        changedFields: ['Lead_Score__c', 'Fit_Grade__c', 'LastModifiedDate'],
      }),
      { Lead_Score__c: '80' },
    );
    // A contact created, and a lead deleted.
    server.publish(
      CONTACTS,
      header({ entityName: 'Contact', recordIds: ['0035g00000Cont001A'], changeType: 'CREATE', changedFields: [] }),
      { Title: 'CTO' },
    );
    const del = server.publish(
      LEADS,
      header({ recordIds: ['00Q5g00000Lead003A'], changeType: 'DELETE', changedFields: [] }),
    );
    await until(async () => (await stored(LEADS)) === String(del), 5_000, 'the delete to be stored');
    expect(Number(await stored(LEADS))).toBeGreaterThan(Number(echo));
    const members = await pending();
    expect(members).toContain('contact:0035g00000Cont001A');
    expect(members).not.toContain('lead:00Q5g00000Lead002A');
    expect(members).not.toContain('lead:00Q5g00000Lead003A');
    expect(await redis.get(keys.tombstone(tenant, '00Q5g00000Lead003A'))).toBe('deleted');
    expect(
      h.ingested
        .flat()
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['erase', 'touch', 'touch']);
    expect(await count(h.metrics.ignored, 'source', 'salesforce-cdc')).toBe(1);
  });

  it('an ingest failure saves nothing and replays the event from the stored position', async () => {
    newPrefix();
    const h = await startFeed();
    await subscribed(2);
    const ok = server.publish(LEADS, header({ recordIds: ['00Q5g00000Lead010A'] }));
    await until(async () => (await stored(LEADS)) === String(ok), 5_000, 'the first event');
    h.gate.failNext = 1;
    const failed = server.publish(LEADS, header({ recordIds: ['00Q5g00000Lead011A'] }));
    await until(async () => (await stored(LEADS)) === String(failed), 5_000, 'the replayed event');
    expect(await pending()).toContain('lead:00Q5g00000Lead011A');
    // The reconnect asked for the events after the last stored id (CUSTOM), not the tip.
    expect(
      server.subscribes.filter((s) => s.topicName === LEADS && s.replayPreset === 2).map((s) => s.replayId),
    ).toContain(ok);
  });

  it('a restarted worker resumes after the stored replay id and gets what was published while it was down', async () => {
    newPrefix();
    const a = await startFeed();
    await subscribed(2);
    const seen = server.publish(LEADS, header({ recordIds: ['00Q5g00000Lead020A'] }));
    await until(async () => (await stored(LEADS)) === String(seen), 5_000, 'the first event');
    await a.feed.stop();
    await subscribed(0);
    server.publish(LEADS, header({ recordIds: ['00Q5g00000Lead021A'] }));
    server.publish(
      CONTACTS,
      header({ entityName: 'Contact', recordIds: ['0035g00000Cont021A'], changedFields: ['Title'] }),
      { Title: 'VP' },
    );
    const b = await startFeed();
    await until(async () => (await pending()).includes('lead:00Q5g00000Lead021A'), 5_000, 'the missed lead');
    expect(lastSubscribe(LEADS)).toMatchObject({ replayPreset: 2, replayId: seen });
    // The contact channel had no position yet: it started at LATEST, the missed contact is the sweep's.
    expect(lastSubscribe(CONTACTS).replayPreset).toBe(0);
    expect(b.ingested.flat().map((o) => ('contact' in o ? o.contact.id : ''))).toEqual(['00Q5g00000Lead021A']);
  });

  it('a position older than the 72 h retention starts at LATEST, counted', async () => {
    newPrefix();
    const store = new CdcStore(redis, keys);
    await redis.set(keys.cdcLease(tenant), 'seed');
    await store.setReplay(tenant, 'seed', LEADS, { replayId: '1007', at: clock.now().getTime() - 73 * 3_600_000 });
    await redis.del(keys.cdcLease(tenant));
    const h = await startFeed();
    await subscribed(2);
    expect(lastSubscribe(LEADS).replayPreset).toBe(0);
    expect(await count(h.metrics.cdcGaps, 'reason', 'replay_expired')).toBe(1);
  });

  it('a replay id Salesforce refuses (purged) restarts the channel at LATEST, counted', async () => {
    newPrefix();
    const a = await startFeed();
    await subscribed(2);
    const old = server.publish(LEADS, header({ recordIds: ['00Q5g00000Lead030A'] }));
    await until(async () => (await stored(LEADS)) === String(old), 5_000, 'the first event');
    await a.feed.stop();
    await subscribed(0);
    server.purge(LEADS);
    const b = await startFeed();
    await until(
      async () => (await count(b.metrics.cdcGaps, 'reason', 'replay_rejected')) === 1,
      5_000,
      'the refusal to be counted',
    );
    await subscribed(2);
    expect(lastSubscribe(LEADS).replayPreset).toBe(0);
    const next = server.publish(LEADS, header({ recordIds: ['00Q5g00000Lead031A'] }));
    await until(async () => (await stored(LEADS)) === String(next), 5_000, 'events after the restart');
  });

  it('refreshes a refused access token and subscribes with the new one', async () => {
    newPrefix();
    const h = await startFeed({ token: 'expired-token' });
    await subscribed(2);
    expect(h.session.refreshes).toBe(1);
    expect(lastSubscribe(LEADS).accessToken).toBe('access-1');
  });

  it("a keepalive moves a quiet org's position to the tip", async () => {
    newPrefix();
    await startFeed();
    await subscribed(2);
    const tip = server.publish(LEADS, header({ recordIds: ['00Q5g00000Lead040A'], changedFields: ['Lead_Score__c'] }));
    await until(async () => (await stored(LEADS)) === String(tip), 5_000, 'the echo to move the position');
    clock.advance(60_000);
    server.keepalive();
    await until(
      async () => (await new CdcStore(redis, keys).replays(tenant)).get(LEADS)?.at === clock.now().getTime(),
      5_000,
      'the keepalive position',
    );
  });

  it('a keepalive sent before the server saw our request for more events does not move the position past events it holds back', async () => {
    newPrefix();
    const h = await startFeed();
    await subscribed(2);
    // The subscriber asks for 100 events, and for more as each half is durable. Its requests are
    // held on the way: the server delivers the first 100 and keeps the 101st back for want of credit.
    server.holdRequests();
    const ids: bigint[] = [];
    for (let i = 0; i < 101; i++)
      ids.push(server.publish(LEADS, header({ recordIds: [`00Q5g00000Ld${String(i).padStart(3, '0')}AAA`] })));
    await until(async () => (await stored(LEADS)) === String(ids[99]), 5_000, 'the first 100 to be durable');
    await until(() => server.heldRequests() === 2, 5_000, 'the requests for more');
    // A keepalive from before the requests arrived: nothing requested is pending, its tip is the 101st.
    server.keepalive();
    // Then the requests arrive and the 101st is delivered; ingest parks on it (behind the keepalive).
    let open!: () => void;
    h.gate.wait = new Promise<void>((r) => (open = r));
    server.releaseRequests();
    await until(() => h.gate.parked, 5_000, 'the 101st to reach ingest');
    expect(await stored(LEADS)).toBe(String(ids[99])); // not the tip: a crash now must replay the 101st
    h.gate.wait = null;
    open();
    await until(async () => (await stored(LEADS)) === String(ids[100]), 5_000, 'the 101st to be durable');
    // A keepalive while the server has room to send moves a quiet org's position as before.
    clock.advance(60_000);
    server.keepalive();
    await until(
      async () => (await new CdcStore(redis, keys).replays(tenant)).get(LEADS)?.at === clock.now().getTime(),
      5_000,
      'the keepalive position',
    );
  });

  it('one subscription per org across workers; a worker that dies loses the org to another', async () => {
    newPrefix();
    const a = await startFeed();
    await subscribed(2);
    const b = await startFeed();
    await new Promise((r) => setTimeout(r, 500)); // several lease rounds of b
    expect(server.openStreams()).toBe(2);
    expect(a.feed.holding()).toHaveLength(1);
    expect(b.feed.holding()).toHaveLength(0);
    // a dies: its streams go, but its lease stays in Redis until it lapses.
    const lease = await redis.get(keys.cdcLease(tenant));
    await a.feed.stop();
    await redis.set(keys.cdcLease(tenant), lease!, 'PX', 400);
    await subscribed(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(b.feed.holding()).toHaveLength(0); // not while the dead worker's lease lives
    await until(() => b.feed.holding().length === 1, 5_000, 'b to take the org over');
    await subscribed(2);
    const id = server.publish(LEADS, header({ recordIds: ['00Q5g00000Lead050A'] }));
    await until(async () => (await stored(LEADS)) === String(id), 5_000, 'b to handle events');
    expect(b.ingested.flat().map((o) => ('contact' in o ? o.contact.id : ''))).toContain('00Q5g00000Lead050A');
  });

  it('a worker whose lease was taken while it was stalled closes its subscription', async () => {
    newPrefix();
    const a = await startFeed();
    await subscribed(2);
    await redis.set(keys.cdcLease(tenant), 'another-worker', 'PX', 60_000);
    await until(() => a.feed.holding().length === 0, 5_000, 'a to let go');
    await subscribed(0);
    // Its old position is not moved by it any more either.
    server.publish(LEADS, header({ recordIds: ['00Q5g00000Lead060A'] }));
    await new Promise((r) => setTimeout(r, 200));
    expect(a.ingested.flat()).toHaveLength(0);
  });
});
