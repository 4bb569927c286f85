// npm run demo — the whole pipeline on this machine: sandbox CRM (HubSpot + Salesforce faces),
// leadstage's web server and worker, Redis (REDIS_URL, or a private redis-server). A scripted
// stream of activity for the seeded contacts goes in as the CRMs would send it; the tables show
// what leadstage wrote back. Exits 0 and leaves nothing running.
import { Client } from '@hubspot/api-client';
import { DateTime } from 'luxon';
import { setupHubSpot } from '../src/crm/hubspot/hubspot-setup.ts';
import { LOCAL, startPipeline } from '../src/demo/pipeline.ts';
import { readSeed } from '../src/sandbox/seed.ts';
import { signFeed } from '../webhooks/events/events-router.ts';

const started = Date.now();
const say = (s: string) => process.stdout.write(`${s}\n`);
say('leadstage demo: starting Redis, the sandbox CRM, the webhook server and the worker…');
const p = await startPipeline({ logLevel: 'error' });
try {
  const seed = readSeed();
  const setup = await setupHubSpot(new Client({ accessToken: 'pat-sandbox', basePath: p.sandbox.url }), p.config);
  say(`  setup hubspot: ${setup.filter((l) => l.startsWith('created property ')).length} contact properties and ${setup.filter((l) => l.startsWith('created property group')).length} group created in the sandbox portal`);

  // The activity stream. HubSpot: property changes (e-mail engagement) and workflow webhooks
  // (forms, downloads, demo requests); everything else through the signed event feed.
  const now = Date.now();
  const feed: object[] = [];
  const hub = (id: string) => ({ crm: 'hubspot', portalId: LOCAL.portalId, id });
  const sf = (id: string) => ({ crm: 'salesforce', orgId: LOCAL.orgId, id });
  const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
  let n = 0;
  const event = (type: string, contact: object, minutes: number, attributes: object = {}) => feed.push({ id: `demo-${++n}`, type, occurredAt: ago(minutes), contact, attributes });
  const workflows: Promise<number>[] = [];
  const workflow = (type: string, id: string, properties: Record<string, string>) => workflows.push(p.sandbox.hubspotWebhooks!.workflow(p.url, type, { objectId: Number(id), properties }));

  for (const c of seed.hubspot.contacts) {
    const id = c.id;
    switch (c.role) {
      case 'newsletter':
        workflow('form_submission', id, { formName: 'Newsletter sign-up' });
        break;
      case 'opener':
        p.sandbox.hubspot.setProperty(id, 'hs_email_last_open_date', String(now - 3 * 86_400_000));
        p.sandbox.hubspot.setProperty(id, 'hs_email_last_open_date', String(now - 3_600_000));
        break;
      case 'whitepaper':
        p.sandbox.hubspot.setProperty(id, 'hs_email_last_open_date', String(now - 86_400_000));
        workflow('content_download', id, { title: 'The RevOps guide to lead scoring' });
        break;
      case 'pricing':
        p.sandbox.hubspot.setProperty(id, 'hs_email_last_click_date', String(now - 7_200_000));
        event('page_view', hub(id), 90, { url: 'https://example.com/pricing' });
        event('page_view', hub(id), 30, { url: 'https://example.com/pricing/enterprise' });
        event('webinar_attended', hub(id), 60 * 24 * 2);
        break;
      case 'demo-vp':
        event('page_view', hub(id), 10, { url: 'https://example.com/pricing' });
        workflow('demo_request', id, { formName: 'Request a demo' });
        break;
      case 'competitor':
        event('page_view', hub(id), 20, { url: 'https://example.com/pricing' });
        workflow('demo_request', id, { formName: 'Request a demo' });
        break;
      case 'student':
        event('webinar_attended', hub(id), 60 * 24);
        event('content_download', hub(id), 60 * 20);
        p.sandbox.hubspot.setProperty(id, 'hs_email_last_reply_date', String(now - 3_600_000));
        workflow('demo_request', id, { formName: 'Request a demo' });
        break;
      case 'poor-fit':
        event('webinar_attended', hub(id), 60 * 30);
        event('page_view', hub(id), 45, { url: 'https://example.com/pricing' });
        p.sandbox.hubspot.setProperty(id, 'hs_email_last_reply_date', String(now - 7_200_000));
        break;
    }
  }
  for (const { role, record } of seed.salesforce.records) {
    const id = record.Id;
    if (role === 'bant') {
      // Sales confirms budget, need and timing on the Lead: Salesforce sends an outbound message.
      p.sandbox.salesforceEdit('Lead', id, { Budget__c: '120k', Need__c: 'Replace manual lead routing', Purchase_Timeframe__c: 'This quarter' });
    } else if (role === 'webinar') {
      event('webinar_registered', sf(id), 60 * 24 * 5);
      event('webinar_attended', sf(id), 60 * 24 * 4);
      event('content_download', sf(id), 60 * 24 * 3);
    } else if (role === 'signup') {
      event('product_signup', sf(id), 60 * 5);
      event('page_view', sf(id), 60 * 4, { url: 'https://example.com/pricing' });
    } else if (role === 'demo-contact') {
      event('demo_request', sf(id), 15);
    } else if (role === 'call') {
      event('email_click', sf(id), 60 * 24);
    }
  }
  // One event that knows only an e-mail address: the worker finds the contact.
  const opener = seed.hubspot.contacts.find((c) => c.role === 'opener')!;
  event('webinar_registered', { email: opener.properties['email'] }, 60);

  const body = JSON.stringify(feed);
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${p.url}/webhooks/events`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-leadstage-timestamp': ts, 'x-leadstage-signature': `sha256=${signFeed(LOCAL.eventsSecret, ts, body)}` },
  });
  if (res.status !== 202) throw new Error(`the event feed answered ${res.status}`);
  await Promise.all(workflows);
  say(`  played ${feed.length} feed events, ${workflows.length} workflow webhooks, HubSpot property changes and a Salesforce edit; waiting for the pipeline…`);
  await p.drained();

  const tz = p.config.businessHours.timezone;
  const due = (iso: string | undefined) => (iso ? DateTime.fromISO(iso, { zone: tz }).toFormat('ccc HH:mm') : '');
  const table = (rows: string[][]) => {
    const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) say('  ' + r.map((cell, c) => cell.padEnd(w[c]!)).join('  ').trimEnd());
  };

  say('\nHubSpot (portal 62515)');
  const hsRows = [['contact', 'company', 'score', 'grade', 'stage', 'status', 'owner', 'tasks (due, ' + tz + ')']];
  for (const c of p.sandbox.hubspot.contacts.values()) {
    const pr = c.properties;
    const tasks = p.sandbox.hubspot.tasks.filter((t) => t.contactIds.includes(c.id));
    hsRows.push([`${pr['firstname']} ${pr['lastname']}`, String(pr['company'] ?? ''), String(pr['leadstage_score'] ?? '-'), String(pr['leadstage_fit_grade'] ?? '-'), String(pr['lifecyclestage'] ?? ''), String(pr['hs_lead_status'] ?? ''), String(pr['hubspot_owner_id'] ?? ''),
      tasks.map((t) => `${t.properties['hs_task_priority']} ${due(t.properties['hs_timestamp'])}`).join('; ')]);
  }
  table(hsRows);

  say('\nSalesforce (org 00D5g000004Sxyz)');
  const sfRows = [['record', 'name', 'score', 'grade', 'stage', 'status', 'owner', 'tasks (due)']];
  for (const type of ['Lead', 'Contact'] as const) {
    for (const r of p.sandbox.salesforce.records[type].values()) {
      const tasks = [...p.sandbox.salesforce.records.Task.values()].filter((t) => t['WhoId'] === r.Id);
      sfRows.push([`${type} ${r.Id}`, `${r['FirstName']} ${r['LastName']}`, String(r['Lead_Score__c'] ?? '-'), String(r['Fit_Grade__c'] ?? '-'), String(r['Lifecycle_Stage__c'] ?? ''), String(r['Status'] ?? ''), String(r['OwnerId'] ?? ''),
        tasks.map((t) => `${t['Priority']} ${due(String(t['ReminderDateTime']))}`).join('; ')]);
    }
  }
  table(sfRows);

  say('\nCRM calls leadstage made');
  for (const [route, count] of [...p.sandbox.calls.entries()].sort()) say(`  ${String(count).padStart(4)}  ${route}`);
  say(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Where to look next:
  - why a contact scored what it did:  npx leadstage score test/fixtures/contacts/demo-request-vp.json
  - tune the model:                    config/leadstage.yaml, then npx leadstage check-config
  - run it for real:                   README.md ("Running the webhook server"), npm start
  - the sandbox on its own:            npm run sandbox`);
} finally {
  await p.stop();
}
