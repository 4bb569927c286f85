import { afterEach, describe, expect, it } from 'vitest';
import { hubspotPropertySpecs } from '../../src/crm/hubspot/hubspot-setup.ts';
import { startPipeline, type Pipeline } from '../../src/demo/pipeline.ts';
import { stepAt } from '../../src/core/escalation.ts';
import { ShiftedClock } from '../../src/platform/clock.ts';
import { until } from '../helpers/until.ts';
import { HELIX_CRO } from '../helpers/fixtures.ts';

// SLA escalation through the real worker (its maintenance job scheduler, every second here), real
// Redis and the sandbox CRM over HTTP; time moves on a shifted clock instead of sleeping.
let p: Pipeline | undefined;
afterEach(async () => {
  await p?.stop();
  p = undefined;
});

const MIN = 60_000;

describe('SLA escalation end to end', () => {
  it('HubSpot: an MQL task left open is reminded, then reassigned (old task completed, new task for the next rep)', async () => {
    const clock = new ShiftedClock();
    p = await startPipeline({
      seed: false,
      logLevel: process.env['TEST_LOG'] ?? 'silent',
      env: { SLA_SWEEP_MS: '1000' },
      clock,
    });
    const hs = p.sandbox.hubspot;
    hs.addProperties(hubspotPropertySpecs(p.config).map((s) => s.name));
    hs.owners.push({ id: '1001', archived: false }, { id: '1002', archived: false }, { id: '1003', archived: false });
    hs.contacts.set('701', {
      id: '701',
      properties: {
        email: 'vp@northwind.io',
        firstname: 'Dana',
        lastname: 'Ortiz',
        jobtitle: 'VP Sales',
        company: 'Northwind',
        industry: 'Software',
        numemployees: '100-500',
        country: 'United States',
        lifecyclestage: 'lead',
      },
    });
    await p.sandbox.hubspotWebhooks!.workflow(p.url, 'demo_request', { objectId: 701 });
    await p.drained();
    expect(hs.tasks).toHaveLength(1);
    const first = hs.tasks[0]!;
    const owner = first.properties['hubspot_owner_id'];
    expect(owner).toBe('1001');

    clock.advanceTo(Date.parse(first.properties['hs_timestamp']!) + MIN);
    await until(() => first.properties['hs_task_body']?.includes('SLA missed') ?? false, 15_000, 'the reminder note');
    expect(first.properties).toMatchObject({ hs_task_priority: 'HIGH', hs_task_status: 'NOT_STARTED' });

    // The reassignment is 30 business minutes after the due date (in rep-1's team hours): maybe tomorrow morning.
    const dueAt = Date.parse(first.properties['hs_timestamp']!);
    clock.advanceTo(stepAt(p.config, { crm: 'hubspot', ownerId: '1001', step: 1, dueAt })! + MIN);
    // The new task is created first, then the old one completed (a crash in between redoes the step).
    await until(
      () => hs.tasks.length === 2 && first.properties['hs_task_status'] === 'COMPLETED',
      15_000,
      'the reassigned task',
    );
    expect(first.properties['hs_task_body']).toMatch(/Closed: SLA missed.*Reassigned to rep-2/s);
    expect(hs.tasks[1]!.properties).toMatchObject({
      hubspot_owner_id: '1002',
      hs_task_priority: 'HIGH',
      hs_task_status: 'NOT_STARTED',
    });
    expect(hs.tasks[1]!.contactIds).toEqual(['701']);
    await until(
      () => hs.contacts.get('701')!.properties['hubspot_owner_id'] === '1002',
      10_000,
      'the contact follows its task',
    );
  });

  it('Salesforce: an SQL Task left open gets its reminder (Priority High, a note in the Description)', async () => {
    const clock = new ShiftedClock();
    p = await startPipeline({
      seed: false,
      logLevel: process.env['TEST_LOG'] ?? 'silent',
      env: { SLA_SWEEP_MS: '1000' },
      clock,
    });
    const sf = p.sandbox.salesforce;
    sf.records.User.set('005000000000002AAA', { Id: '005000000000002AAA', IsActive: true });
    sf.records.Lead.set(HELIX_CRO.Id, { ...HELIX_CRO });
    p.sandbox.salesforceEdit('Lead', '00Q900000000001AAA', {
      Budget__c: '120k',
      Need__c: 'routing',
      Purchase_Timeframe__c: 'This quarter',
    });
    await p.drained();
    const [task] = [...sf.records.Task.values()];
    expect(task).toMatchObject({ Priority: 'High', Status: 'Not Started', IsClosed: false });
    clock.advanceTo(Date.parse(String(task!['ReminderDateTime'])) + MIN);
    await until(() => String(task!['Description']).includes('SLA missed'), 15_000, 'the reminder note');
    expect(task).toMatchObject({ Priority: 'High', Status: 'Not Started' });
  });
});
