import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL, startPipeline, type Pipeline } from '../../src/demo/pipeline.ts';
import { Keys } from '../../src/platform/keys.ts';
import { CdcStore } from '../../src/store/cdc-store.ts';
import { FakePubSubServer, type FakeHeader } from '../fakes/fake-pubsub-server.ts';
import { until } from '../helpers/until.ts';

// Salesforce Change Data Capture through the real worker wiring (startWorkerService with
// SALESFORCE_CDC=on): the fake Pub/Sub API (test/fakes/fake-pubsub-server.ts, gRPC over TLS) for
// the change events, the sandbox CRM over real HTTP for the org's records, real Redis.
// Event header: https://developer.salesforce.com/docs/atlas.en-us.change_data_capture.meta/change_data_capture/cdc_event_fields_header.htm
// Pub/Sub API: https://developer.salesforce.com/docs/platform/pub-sub-api/guide/intro.html

const LEADS = '/data/LeadChangeEvent';
const LEAD_ID = '00Q900000000007AAA';
const PERSON = '005000000000001AAA'; // a sales rep, not leadstage's integration user
const tenant = { crm: 'salesforce', id: LOCAL.orgId.slice(0, 15) };
let server: FakePubSubServer;
let p: Pipeline | undefined;
let tx = 0;

beforeAll(async () => {
  server = new FakePubSubServer();
  server.addTopic(LEADS, 'Lead', [
    'Status',
    'Title',
    'Lead_Score__c',
    'Fit_Grade__c',
    'Score_Reasons__c',
    'Last_Scored_At__c',
    'LastModifiedDate',
  ]);
  server.tokens.add('sandbox-access-token'); // the sandbox org's token (SandboxCrm's default)
  await server.start();
});
afterEach(async () => {
  await p?.stop();
  p = undefined;
});
afterAll(async () => {
  await server.stop();
});

function header(over: Partial<FakeHeader>): FakeHeader {
  tx += 1;
  return {
    entityName: 'Lead',
    recordIds: [LEAD_ID],
    changeType: 'UPDATE',
    changeOrigin: 'com/salesforce/api/rest/61.0',
    transactionKey: `0000${tx}c7-a642-11e2-c29b-229c6786473e`,
    sequenceNumber: 1,
    commitTimestamp: Date.now(),
    commitUser: PERSON,
    changedFields: ['Title', 'LastModifiedDate'],
    ...over,
  };
}

describe('Salesforce CDC through the worker process', () => {
  it('a LeadChangeEvent → the Lead scored in the org, the replay id stored; an echo writes nothing; a clean stop', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    try {
      p = await startPipeline({
        seed: false,
        logLevel: process.env['TEST_LOG'] ?? 'silent',
        env: {
          SALESFORCE_CDC: 'on',
          SALESFORCE_CDC_CHANNELS: LEADS,
          SALESFORCE_PUBSUB_ENDPOINT: `localhost:${server.port}`,
        },
        changeFeedRejectUnauthorizedSsl: false, // the fake's self-signed certificate; production verifies
      });
      const pl = p;
      const sf = pl.sandbox.salesforce;
      // Count leadstage's API writes to the Lead (the sandbox reports them through onChange).
      let leadWrites = 0;
      const sent = sf.onChange;
      sf.onChange = (type, ids) => {
        if (type === 'Lead' && ids.includes(LEAD_ID)) leadWrites += 1;
        sent(type, ids);
      };
      let scored = 0;
      pl.worker.worker.on('completed', (_job, summary) => (scored += summary.contacts));
      const store = new CdcStore(pl.web.redis, new Keys(pl.env.LEADSTAGE_REDIS_PREFIX));
      const stored = async () => (await store.replays(tenant)).get(LEADS)?.replayId;

      await until(() => server.openStreams(LEADS) === 1, 10_000, 'the worker to subscribe');
      expect(server.subscribes.at(-1)).toMatchObject({
        topicName: LEADS,
        replayPreset: 0, // LATEST: nothing stored yet
        accessToken: 'sandbox-access-token',
        tenantId: tenant.id,
      });

      // A rep edits the Lead in Salesforce: no Outbound Message, only the change event.
      sf.records.User.set('005000000000002AAA', { Id: '005000000000002AAA', IsActive: true });
      sf.records.Lead.set(LEAD_ID, {
        Id: LEAD_ID,
        FirstName: 'Marta',
        LastName: 'Rossi',
        Email: 'm@helix.io',
        Title: 'Chief Revenue Officer',
        Company: 'Helix',
        Industry: 'SaaS',
        NumberOfEmployees: 1200,
        Country: 'United States',
        Status: 'Open - Not Contacted',
        OwnerId: '005000000000002AAA',
        IsConverted: false,
      });
      const change = server.publish(LEADS, header({}), { Title: 'Chief Revenue Officer' });
      await until(async () => (await stored()) === String(change), 10_000, 'the replay id to be stored');
      await pl.drained();
      const lead = sf.records.Lead.get(LEAD_ID)!;
      expect(Number(lead['Lead_Score__c'])).toBeGreaterThan(0);
      expect(lead['Fit_Grade__c']).toBe('A');
      expect(leadWrites).toBe(1);
      expect(scored).toBe(1);

      // The change event of leadstage's own write: only its score fields changed. Skipped, but its
      // position is stored all the same.
      const echo = server.publish(
        LEADS,
        header({ changedFields: ['Lead_Score__c', 'Fit_Grade__c', 'Score_Reasons__c', 'LastModifiedDate'] }),
        { Lead_Score__c: String(lead['Lead_Score__c']) },
      );
      await until(async () => (await stored()) === String(echo), 10_000, 'the echo position to be stored');
      await pl.drained();
      expect(scored).toBe(1); // not marked pending, so not recomputed
      expect(leadWrites).toBe(1);

      await pl.stop();
      p = undefined;
      await until(() => server.openStreams() === 0, 5_000, 'the streams to be cancelled');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    }
  });
});
