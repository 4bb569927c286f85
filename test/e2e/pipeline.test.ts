import { afterEach, describe, expect, it } from 'vitest';
import { hubspotPropertySpecs } from '../../src/crm/hubspot/hubspot-setup.ts';
import { LOCAL, startPipeline, type Pipeline } from '../../src/demo/pipeline.ts';
import type { FaultOptions } from '../../src/sandbox/sandbox-crm.ts';
import { signFeed } from '../../webhooks/events/events-router.ts';
import { signV3 } from '../../webhooks/hubspot/hubspot-signature.ts';
import { HELIX_CRO } from '../helpers/fixtures.ts';

// Through real HTTP, real Redis, the real server and worker, and the sandbox CRM.
let p: Pipeline | undefined;
afterEach(async () => {
  await p?.stop();
  p = undefined;
});

async function pipeline(opts: { faults?: FaultOptions; env?: Record<string, string> } = {}): Promise<Pipeline> {
  p = await startPipeline({ seed: false, logLevel: process.env['TEST_LOG'] ?? 'silent', ...opts });
  p.sandbox.hubspot.addProperties(hubspotPropertySpecs(p.config).map((s) => s.name));
  p.sandbox.hubspot.owners.push(
    { id: '1001', archived: false },
    { id: '1002', archived: false },
    { id: '1003', archived: false },
  );
  return p;
}

const vp = (i: number) => ({
  email: `vp${i}@northwind.io`,
  firstname: 'Dana',
  lastname: `Ortiz${i}`,
  jobtitle: 'VP Sales',
  company: 'Northwind',
  industry: 'Software',
  numemployees: '100-500',
  country: 'United States',
  lifecyclestage: 'lead',
});

async function feed(events: object[]): Promise<number> {
  const body = JSON.stringify(events);
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${p!.url}/webhooks/events`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-leadstage-timestamp': ts,
      'x-leadstage-signature': `sha256=${signFeed(LOCAL.eventsSecret, ts, body)}`,
    },
  });
  return res.status;
}
const demoRequest = (i: number, contact: object) => ({
  id: `d-${i}-${Math.random()}`,
  type: 'demo_request',
  occurredAt: new Date().toISOString(),
  contact,
});

describe('end to end', () => {
  it('a signed HubSpot batch → stage, score and task in the CRM', async () => {
    const pl = await pipeline();
    pl.sandbox.hubspot.contacts.set('701', { id: '701', properties: vp(1) });
    pl.sandbox.hubspot.setProperty('701', 'hs_email_last_reply_date', String(Date.now() - 60_000)); // the CRM sends the webhook
    await pl.sandbox.hubspotWebhooks!.workflow(pl.url, 'demo_request', { objectId: 701 });
    await pl.drained();
    const c = pl.sandbox.hubspot.contacts.get('701')!.properties;
    expect(c).toMatchObject({
      lifecyclestage: 'marketingqualifiedlead',
      hs_lead_status: 'NEW',
      leadstage_fit_grade: 'A',
    });
    expect(Number(c['leadstage_score'])).toBeGreaterThan(100);
    expect(pl.sandbox.hubspot.tasks).toHaveLength(1);
    expect(pl.sandbox.hubspot.tasks[0]).toMatchObject({
      contactIds: ['701'],
      properties: { hs_task_priority: 'HIGH', hubspot_owner_id: c['hubspot_owner_id'] },
    });
  });

  it('a Salesforce outbound message → Lead updated and Task created, owner untouched by assignment rules', async () => {
    const pl = await pipeline();
    const sf = pl.sandbox.salesforce;
    sf.records.User.set('005000000000002AAA', { Id: '005000000000002AAA', IsActive: true });
    sf.records.Lead.set(HELIX_CRO.Id, { ...HELIX_CRO });
    pl.sandbox.salesforceEdit('Lead', '00Q900000000001AAA', {
      Budget__c: '120k',
      Need__c: 'routing',
      Purchase_Timeframe__c: 'This quarter',
    });
    await pl.drained();
    const lead = sf.records.Lead.get('00Q900000000001AAA')!;
    expect(lead).toMatchObject({ Lifecycle_Stage__c: 'SQL', Fit_Grade__c: 'A', OwnerId: '005000000000002AAA' });
    const tasks = [...sf.records.Task.values()];
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      WhoId: '00Q900000000001AAA',
      OwnerId: '005000000000002AAA',
      Priority: 'High',
      Status: 'Not Started',
    });
  });

  it('a duplicate delivery → nothing twice', async () => {
    const pl = await pipeline();
    pl.sandbox.hubspot.contacts.set('702', { id: '702', properties: vp(2) });
    const body = JSON.stringify([
      {
        eventId: 77,
        subscriptionId: 9,
        portalId: 62515,
        appId: 54321,
        occurredAt: Date.now(),
        subscriptionType: 'contact.propertyChange',
        attemptNumber: 0,
        objectId: 702,
        propertyName: 'hs_email_last_reply_date',
        propertyValue: String(Date.now() - 60_000),
        changeSource: 'CRM',
      },
    ]);
    for (let i = 0; i < 3; i++) {
      const ts = String(Date.now());
      const res = await fetch(`${pl.url}/webhooks/hubspot`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-hubspot-request-timestamp': ts,
          'x-hubspot-signature-v3': signV3(
            LOCAL.hubspotSecret,
            'POST',
            `${pl.url}/webhooks/hubspot`,
            Buffer.from(body),
            ts,
          ),
        },
      });
      expect(res.status).toBe(204);
      await pl.drained();
    }
    expect(await feed([demoRequest(1, { crm: 'hubspot', portalId: 62515, id: '702' })])).toBe(202);
    await pl.drained();
    expect(pl.sandbox.hubspot.tasks).toHaveLength(1);
    // One read for the reply, one for the demo request; the duplicates and our own echoes read nothing.
    expect(pl.sandbox.calls.get('POST /crm/v3/objects/contacts/batch/read')).toBe(2);
    const metrics = await (await fetch(`${pl.url}/metrics`)).text();
    expect(metrics).toMatch(/leadstage_events_duplicate_total\{source="hubspot"\} 2/);
  });

  it('a 429 storm → everything written once the window allows, nothing lost', async () => {
    const pl = await pipeline({ faults: { stormUntil: Date.now() + 2_500 }, env: { HUBSPOT_RETRIES: '0' } });
    for (let i = 0; i < 10; i++)
      pl.sandbox.hubspot.contacts.set(String(800 + i), { id: String(800 + i), properties: vp(800 + i) });
    expect(
      await feed(
        Array.from({ length: 10 }, (_, i) => demoRequest(i, { crm: 'hubspot', portalId: 62515, id: String(800 + i) })),
      ),
    ).toBe(202);
    await pl.drained(30_000);
    expect(
      [...pl.sandbox.hubspot.contacts.values()].every(
        (c) => c.properties['lifecyclestage'] === 'marketingqualifiedlead',
      ),
    ).toBe(true);
    expect(pl.sandbox.injected.storm).toBeGreaterThan(0);
    expect(pl.sandbox.hubspot.tasks).toHaveLength(10);
    expect(new Set(pl.sandbox.hubspot.tasks.map((t) => t.contactIds[0])).size).toBe(10);
  }, 40_000);

  it('5xx and timeouts → retried, nothing lost, no duplicate task', async () => {
    const pl = await pipeline({
      faults: { errorRate: 0.1, timeoutRate: 0.05, seed: 7 },
      env: { CRM_TIMEOUT_MS: '400', HUBSPOT_RETRIES: '1' },
    });
    const sf = pl.sandbox.salesforce;
    for (const id of ['005000000000001AAA', '005000000000002AAA', '005000000000003AAA'])
      sf.records.User.set(id, { Id: id, IsActive: true });
    for (let i = 0; i < 8; i++)
      pl.sandbox.hubspot.contacts.set(String(900 + i), { id: String(900 + i), properties: vp(900 + i) });
    for (let i = 0; i < 4; i++) {
      const id = `00Q90000000001${i}AAA`;
      sf.records.Lead.set(id, {
        Id: id,
        FirstName: 'L',
        LastName: String(i),
        Email: `l${i}@helix.io`,
        Title: 'VP Sales',
        Company: 'Helix',
        Industry: 'SaaS',
        NumberOfEmployees: 900,
        Country: 'United States',
        Status: 'Open - Not Contacted',
        Lifecycle_Stage__c: 'Lead',
        IsConverted: false,
      });
    }
    const events = [
      ...Array.from({ length: 8 }, (_, i) => demoRequest(i, { crm: 'hubspot', portalId: 62515, id: String(900 + i) })),
      ...Array.from({ length: 4 }, (_, i) =>
        demoRequest(100 + i, { crm: 'salesforce', orgId: LOCAL.orgId, id: `00Q90000000001${i}AAA` }),
      ),
    ];
    expect(await feed(events)).toBe(202);
    await pl.drained(60_000);
    expect(pl.sandbox.injected.errors).toBeGreaterThan(0);
    expect(pl.sandbox.injected.timeouts).toBeGreaterThan(0);
    expect(
      [...pl.sandbox.hubspot.contacts.values()].every(
        (c) => c.properties['lifecyclestage'] === 'marketingqualifiedlead',
      ),
    ).toBe(true);
    expect([...sf.records.Lead.values()].every((l) => l['Lifecycle_Stage__c'] === 'MQL')).toBe(true);
    const hsPerContact = new Map<string, number>();
    for (const t of pl.sandbox.hubspot.tasks)
      hsPerContact.set(t.contactIds[0]!, (hsPerContact.get(t.contactIds[0]!) ?? 0) + 1);
    expect([...hsPerContact.values()]).toEqual(Array(8).fill(1));
    const sfPerLead = new Map<string, number>();
    for (const t of sf.records.Task.values())
      sfPerLead.set(String(t['WhoId']), (sfPerLead.get(String(t['WhoId'])) ?? 0) + 1);
    expect([...sfPerLead.values()]).toEqual(Array(4).fill(1));
  }, 70_000);
});
