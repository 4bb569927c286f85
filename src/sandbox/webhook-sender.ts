import { randomBytes } from 'node:crypto';
import { signV2, signV3 } from '../../webhooks/hubspot/hubspot-signature.ts';
import type { HsChange } from './hubspot-face.ts';

/**
 * POST with retries, as the CRMs retry a delivery that did not get a 2xx. `request` builds each
 * attempt (HubSpot counts attemptNumber up and signs each attempt afresh).
 */
async function deliver(
  url: string,
  request: (attempt: number) => { body: string; headers: Record<string, string> },
  attempts = 6,
): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const { body, headers } = request(attempt);
      const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      status = res.status;
      if (res.ok) return status;
    } catch {
      status = 0;
    }
    await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
  }
  return status;
}

export interface HubSpotWebhookOptions {
  url: string;
  clientSecret: string;
  portalId: string;
  appId: string;
}

/**
 * Sends HubSpot app webhooks the way HubSpot does: JSON arrays of up to 100 events, v3-signed
 * over method + URL + body + timestamp, retried on failure with attemptNumber counting up.
 */
export class HubSpotWebhookSender {
  private readonly opts: HubSpotWebhookOptions;
  private queue: Record<string, unknown>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight = new Set<Promise<unknown>>();
  private eventId = Math.floor(Math.random() * 1e6);
  delivered = 0;

  constructor(opts: HubSpotWebhookOptions) {
    this.opts = opts;
  }

  enqueue(changes: readonly HsChange[]): void {
    for (const c of changes) {
      this.eventId += 1;
      this.queue.push({
        eventId: this.eventId,
        subscriptionId: 1001,
        portalId: Number(this.opts.portalId),
        appId: Number(this.opts.appId),
        occurredAt: Date.now(),
        subscriptionType: 'contact.propertyChange',
        attemptNumber: 0,
        objectId: Number(c.objectId),
        propertyName: c.propertyName,
        propertyValue: c.propertyValue,
        changeSource: c.changeSource,
        sourceId: c.changeSource === 'INTEGRATION' ? this.opts.appId : 'userId:1',
      });
    }
    if (this.queue.length >= 100) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 50);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length) {
      const batch = this.queue.splice(0, 100);
      const p = this.send(batch).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }
  }

  private async send(batch: Record<string, unknown>[]): Promise<void> {
    const status = await deliver(this.opts.url, (attempt) => {
      const body = JSON.stringify(batch.map((e) => ({ ...e, attemptNumber: attempt })));
      const ts = String(Date.now());
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-hubspot-request-timestamp': ts,
          'x-hubspot-signature-v3': signV3(this.opts.clientSecret, 'POST', this.opts.url, Buffer.from(body), ts),
        },
      };
    });
    if (status >= 200 && status < 300) this.delivered += batch.length;
  }

  /** A workflow "Send a webhook" action: one contact, v2-signed, to /webhooks/hubspot/workflow/<type>. */
  async workflow(baseUrl: string, activityType: string, payload: Record<string, unknown>): Promise<number> {
    const url = `${baseUrl}/webhooks/hubspot/workflow/${activityType}?portalId=${this.opts.portalId}`;
    const body = JSON.stringify({ ...payload, occurredAt: Date.now() });
    return deliver(url, () => ({
      body,
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-version': 'v2',
        'x-hubspot-signature': signV2(this.opts.clientSecret, 'POST', url, Buffer.from(body)),
      },
    }));
  }

  async idle(): Promise<void> {
    if (this.queue.length) this.flush();
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }
}

export interface OutboundOptions {
  /** The Outbound Message endpoint, token included (…/webhooks/salesforce?token=…). */
  url: string;
  orgId: string;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Sends Salesforce Outbound Messaging SOAP `notifications` (up to 100 per message), retried until acked. */
export class SalesforceOutboundSender {
  private readonly opts: OutboundOptions;
  private inflight = new Set<Promise<unknown>>();
  delivered = 0;

  constructor(opts: OutboundOptions) {
    this.opts = opts;
  }

  send(type: string, records: readonly Record<string, unknown>[]): void {
    for (let i = 0; i < records.length; i += 100) {
      const batch = records.slice(i, i + 100);
      const notifications = batch
        .map((r) => {
          const fields = Object.entries(r)
            .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
            .map(([k, v]) => `<sf:${k}>${xml(String(v))}</sf:${k}>`)
            .join('');
          return `<Notification><Id>04l${randomBytes(6).toString('hex').slice(0, 12)}AAA</Id><sObject xsi:type="sf:${type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">${fields}</sObject></Notification>`;
        })
        .join('');
      const body = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${this.opts.orgId}</OrganizationId><ActionId>04k000000000001AAA</ActionId><SessionId xsi:nil="true"/><EnterpriseUrl>https://sandbox.invalid/services/Soap/c/61.0</EnterpriseUrl><PartnerUrl>https://sandbox.invalid/services/Soap/u/61.0</PartnerUrl>${notifications}</notifications></soapenv:Body></soapenv:Envelope>`;
      const p = deliver(this.opts.url, () => ({
        body,
        headers: { 'content-type': 'text/xml; charset=utf-8', SOAPAction: '""' },
      }))
        .then((status) => {
          if (status >= 200 && status < 300) this.delivered += batch.length;
        })
        .finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }
  }

  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }
}
