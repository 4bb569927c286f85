import type { Seed } from '../sandbox/seed.ts';
import { signFeed } from '../../webhooks/events/events-router.ts';
import { LOCAL, type Pipeline } from './pipeline.ts';

/**
 * The demo's activity stream, as the CRMs would send it. HubSpot: property changes (e-mail
 * engagement) and workflow webhooks (forms, downloads, demo requests); Salesforce: an edit by
 * sales (an outbound message); everything else through the signed event feed.
 */
export async function playStream(
  p: Pipeline,
  seed: Seed,
  portals: readonly string[] = [LOCAL.portalId],
): Promise<{ feed: number; workflows: number }> {
  const now = Date.now();
  const feed: object[] = [];
  const sf = (id: string) => ({ crm: 'salesforce', orgId: LOCAL.orgId, id });
  const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
  let n = 0;
  const event = (type: string, contact: object, minutes: number, attributes: object = {}) =>
    feed.push({ id: `demo-${++n}`, type, occurredAt: ago(minutes), contact, attributes });
  const workflows: Promise<number>[] = [];
  // The same HubSpot personas and activity in every portal (each portal scores them with its own config).
  for (const portalId of portals) {
    const face = p.sandbox.hubspotPortals.get(portalId)!;
    const hub = (id: string) => ({ crm: 'hubspot', portalId, id });
    const workflow = (type: string, id: string, properties: Record<string, string>) =>
      workflows.push(
        p.sandbox.hubspotSenders.get(portalId)!.workflow(p.url, type, { objectId: Number(id), properties }),
      );
    for (const c of seed.hubspot.contacts) {
      const id = c.id;
      switch (c.role) {
        case 'newsletter':
          workflow('form_submission', id, { formName: 'Newsletter sign-up' });
          break;
        case 'opener':
          face.setProperty(id, 'hs_email_last_open_date', String(now - 3 * 86_400_000));
          face.setProperty(id, 'hs_email_last_open_date', String(now - 3_600_000));
          break;
        case 'whitepaper':
          face.setProperty(id, 'hs_email_last_open_date', String(now - 86_400_000));
          workflow('content_download', id, { title: 'The RevOps guide to lead scoring' });
          break;
        case 'pricing':
          face.setProperty(id, 'hs_email_last_click_date', String(now - 7_200_000));
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
          face.setProperty(id, 'hs_email_last_reply_date', String(now - 3_600_000));
          workflow('demo_request', id, { formName: 'Request a demo' });
          break;
        case 'poor-fit':
          event('webinar_attended', hub(id), 60 * 30);
          event('page_view', hub(id), 45, { url: 'https://example.com/pricing' });
          face.setProperty(id, 'hs_email_last_reply_date', String(now - 7_200_000));
          break;
      }
    }
  }
  for (const { role, record } of seed.salesforce.records) {
    const id = record.Id;
    if (role === 'bant') {
      // Sales confirms budget, need and timing on the Lead: Salesforce sends an outbound message.
      p.sandbox.salesforceEdit('Lead', id, {
        Budget__c: '120k',
        Need__c: 'Replace manual lead routing',
        Purchase_Timeframe__c: 'This quarter',
      });
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
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-leadstage-timestamp': ts,
      'x-leadstage-signature': `sha256=${signFeed(LOCAL.eventsSecret, ts, body)}`,
    },
  });
  if (res.status !== 202) throw new Error(`the event feed answered ${res.status}`);
  await Promise.all(workflows);
  return { feed: feed.length, workflows: workflows.length };
}
