import { until } from '../helpers/until.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hubspotPropertySpecs } from '../../src/crm/hubspot/hubspot-setup.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWorkerService, type WorkerService } from '../../src/app/worker-service.ts';
import { emailHash } from '../../webhooks/events/events-normalize.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { postFeed, startIngress, type TestIngress } from '../helpers/ingress.ts';

let t: TestIngress;
let sandbox: SandboxCrm;
let worker: WorkerService;

beforeEach(async () => {
  t = await startIngress({ BATCH_WINDOW_MS: '50' });
  sandbox = new SandboxCrm();
  sandbox.hubspot.addProperties(hubspotPropertySpecs(defaultConfig()).map((p) => p.name));
  const base = await sandbox.start();
  sandbox.hubspot.owners.push({ id: '1001', archived: false }, { id: '1002', archived: false });
  sandbox.hubspot.contacts.set('501', {
    id: '501',
    properties: {
      email: 'ana@northwind.io',
      jobtitle: 'VP Sales',
      industry: 'Software',
      numemployees: '100-500',
      country: 'United States',
      lifecyclestage: 'lead',
    },
  });
  const parsed = parseEnv(
    {
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      LEADSTAGE_REDIS_PREFIX: t.prefix,
      HUBSPOT_ACCESS_TOKEN: 'pat-sandbox',
      HUBSPOT_API_BASE_URL: base,
      HUBSPOT_PORTAL_ID: '62515',
      BATCH_WINDOW_MS: '50',
      LOG_LEVEL: process.env['TEST_LOG'] ?? 'silent',
    },
    { web: false },
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  worker = await startWorkerService({
    env: parsed.env,
    config: defaultConfig(),
    log: createLogger(process.env['TEST_LOG'] ?? 'silent'),
  });
});
afterEach(async () => {
  await worker.stop();
  await sandbox.stop();
  await t.close();
});

describe('feed events addressed by e-mail', () => {
  it('are matched to the CRM contact with that address, scored and written', async () => {
    const events = [
      { id: 'e1', type: 'demo_request', occurredAt: new Date().toISOString(), contact: { email: 'Ana@Northwind.io' } },
      {
        id: 'e2',
        type: 'webinar_attended',
        occurredAt: new Date().toISOString(),
        contact: { email: 'nobody@nowhere.example' },
      },
    ];
    expect((await postFeed(t.url, JSON.stringify(events))).status).toBe(202);
    await until(() => sandbox.hubspot.contacts.get('501')!.properties['lifecyclestage'] === 'marketingqualifiedlead');
    expect(sandbox.hubspot.tasks).toHaveLength(1);
    expect(sandbox.hubspot.tasks[0]!.contactIds).toEqual(['501']);
    // The matched address is gone from the unresolved store; the unknown one waits for its contact.
    expect(await t.redis.exists(`${t.prefix}:{email}:unresolved:${emailHash('ana@northwind.io')}`)).toBe(0);
    expect(await t.redis.hget(`${t.prefix}:{email}:unresolved:${emailHash('nobody@nowhere.example')}`, '__email')).toBe(
      'nobody@nowhere.example',
    );
    await until(async () => (await t.redis.scard(`${t.prefix}:{email}:inflight`)) === 0);
    const lookups = sandbox.calls.get('POST /crm/v3/objects/contacts/batch/read') ?? 0;
    expect(lookups).toBe(2); // one lookup by e-mail for both addresses, one read of the matched contact
  });
});
