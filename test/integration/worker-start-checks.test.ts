import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerService } from '../../src/app/worker-service.ts';
import { hubspotPropertySpecs } from '../../src/crm/hubspot/hubspot-setup.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import { defaultConfig } from '../helpers/fixtures.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

// At worker start, the values the config writes are checked against the CRM's own vocabulary
// (HubSpot lifecyclestage / hs_lead_status options; Salesforce picklists): a mismatch stops the
// worker with the config path, the value and the CRM's values.
let sandbox: SandboxCrm;
beforeAll(async () => {
  sandbox = new SandboxCrm();
  sandbox.hubspot.addProperties(hubspotPropertySpecs(defaultConfig()).map((p) => p.name));
  await sandbox.start();
});
afterAll(() => sandbox.stop());

function env() {
  const parsed = parseEnv(
    {
      REDIS_URL,
      LEADSTAGE_REDIS_PREFIX: `lsck${randomBytes(3).toString('hex')}`,
      HUBSPOT_ACCESS_TOKEN: 'pat-sandbox',
      HUBSPOT_PORTAL_ID: '62515',
      HUBSPOT_API_BASE_URL: sandbox.url,
    },
    { web: false },
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.env;
}

describe('worker start', () => {
  it("refuses to start when the portal has no such lifecycle stage, naming the path and the portal's values", async () => {
    const saved = [...sandbox.hubspot.options['lifecyclestage']!];
    sandbox.hubspot.options['lifecyclestage'] = saved.map((s) => (s === 'salesqualifiedlead' ? '8675309' : s));
    try {
      await expect(
        startWorkerService({ env: env(), config: defaultConfig(), log: createLogger('silent') }),
      ).rejects.toThrow(
        /hubspot:62515: crm\.hubspot\.stageValues \(stage salesqualifiedlead\): "salesqualifiedlead" is not a value of lifecyclestage in this portal \(it has: .*8675309/,
      );
    } finally {
      sandbox.hubspot.options['lifecyclestage'] = saved;
    }
  });

  it('starts when every value exists', async () => {
    const w = await startWorkerService({ env: env(), config: defaultConfig(), log: createLogger('silent') });
    await w.stop();
  });
});
