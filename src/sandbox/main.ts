// npm run sandbox — the sandbox CRM on its own (SANDBOX_PORT, default 4010), seeded from
// src/sandbox/seed.json. With LEADSTAGE_URL (and SALESFORCE_WEBHOOK_TOKEN) set it sends webhooks
// there. Faults: SANDBOX_ERROR_RATE, SANDBOX_LATENCY_MS, SANDBOX_TIMEOUT_RATE, SANDBOX_STORM_MS.
import { SANDBOX_SECRETS, SandboxCrm } from './sandbox-crm.ts';
import { loadSeed, readSeed } from './seed.ts';

const env = process.env;
const num = (name: string) => (env[name] ? Number(env[name]) : undefined);
const sandbox = new SandboxCrm({
  faults: {
    ...(num('SANDBOX_ERROR_RATE') !== undefined ? { errorRate: num('SANDBOX_ERROR_RATE')! } : {}),
    ...(num('SANDBOX_LATENCY_MS') !== undefined ? { latencyMs: num('SANDBOX_LATENCY_MS')! } : {}),
    ...(num('SANDBOX_TIMEOUT_RATE') !== undefined ? { timeoutRate: num('SANDBOX_TIMEOUT_RATE')! } : {}),
    ...(num('SANDBOX_STORM_MS') !== undefined ? { stormUntil: Date.now() + num('SANDBOX_STORM_MS')! } : {}),
  },
});
loadSeed(sandbox, readSeed());
const url = await sandbox.start(Number(env['SANDBOX_PORT'] ?? 4010));
if (env['LEADSTAGE_URL'])
  sandbox.connect(env['LEADSTAGE_URL'], env['SALESFORCE_WEBHOOK_TOKEN'] ?? SANDBOX_SECRETS.salesforceWebhookToken);
const leadstageUrl = env['LEADSTAGE_URL'] ?? 'http://127.0.0.1:3000';
const settings = Object.entries({
  REDIS_URL: env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  ...sandbox.leadstageEnv(leadstageUrl),
});
console.log(`sandbox CRM on ${url}: ${sandbox.hubspot.contacts.size} HubSpot contacts, ${sandbox.salesforce.records.Lead.size} Leads, \
${sandbox.salesforce.records.Contact.size} Contacts${env['LEADSTAGE_URL'] ? `; webhooks → ${env['LEADSTAGE_URL']}` : '; no webhooks (set LEADSTAGE_URL)'}
# leadstage against this sandbox: put these in .env (or export them), then npm start
${settings.map(([k, v]) => `${k}=${v}`).join('\n')}`);
const stop = async () => {
  await sandbox.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
