import { z } from 'zod';
import type { IngressOp, Activity, Tenant } from '../../src/platform/tenant.ts';

/** One event of a HubSpot app webhook batch (fields from HubSpot's webhooks documentation). */
const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);
export const hubspotEventSchema = z.object({
  eventId: id,
  subscriptionId: id,
  portalId: id,
  appId: id.optional(),
  occurredAt: z.number().int().positive(),
  subscriptionType: z.string().min(1),
  attemptNumber: z.number().int().nonnegative().optional(),
  objectId: id.optional(),
  objectTypeId: z.string().optional(),
  propertyName: z.string().optional(),
  propertyValue: z.string().nullable().optional(),
  changeSource: z.string().optional(),
  sourceId: z.string().nullable().optional(),
  changeFlag: z.string().optional(),
  primaryObjectId: id.optional(),
  mergedObjectIds: z.array(id).optional(),
  newObjectId: id.optional(),
  associationType: z.string().optional(),
  fromObjectId: id.optional(),
  toObjectId: id.optional(),
  fromObjectTypeId: z.string().optional(),
  toObjectTypeId: z.string().optional(),
  associationTypeId: z.number().int().optional(),
  associationCategory: z.string().optional(),
  isPrimaryAssociation: z.boolean().optional(),
  associationRemoved: z.boolean().optional(),
});
export const hubspotBatchSchema = z.array(hubspotEventSchema).min(1).max(100);
export type HubSpotEvent = z.infer<typeof hubspotEventSchema>;

const CONTACT_TYPE_ID = '0-1';
/** HubSpot engagement object type ids and the activity each becomes once linked to a contact. */
export const ENGAGEMENT_ACTIVITY: Record<string, string> = {
  '0-48': 'call_logged', // calls
  '0-49': 'sales_email', // one-to-one e-mails logged on the record
  '0-47': 'meeting_booked', // meetings
  '0-18': 'chat_started', // communications (SMS, WhatsApp, LinkedIn messages)
};

/**
 * Contact properties whose change is itself an activity: HubSpot has no webhook for
 * marketing-email opens or form submissions but keeps these "last …" dates, so a change of one
 * is one more open, click or conversion at that time.
 */
export const PROPERTY_ACTIVITY: Record<string, string> = {
  hs_email_last_open_date: 'email_open',
  hs_email_last_click_date: 'email_click',
  hs_email_last_reply_date: 'email_reply',
  recent_conversion_date: 'form_submission',
  hs_sales_email_last_replied: 'email_reply',
};

export interface HubSpotNormalizeOptions {
  /** Properties leadstage writes itself: their changes are our own echo. */
  ownProperties: ReadonlySet<string>;
  /** Our app id: changes whose source is our app are echoes. */
  appId?: string;
}

function deliveryKey(e: HubSpotEvent): string {
  // eventId alone is not unique (HubSpot's docs); the tuple is.
  return `hubspot:${e.portalId}:${e.subscriptionId}:${e.eventId}:${e.occurredAt}`;
}

function epoch(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

/** One HubSpot event → the ops it implies (none for events leadstage does not act on). */
export function normalizeHubSpotEvent(e: HubSpotEvent, opts: HubSpotNormalizeOptions): IngressOp[] {
  const tenant: Tenant = { crm: 'hubspot', id: e.portalId };
  const key = deliveryKey(e);
  const [family, action] = e.subscriptionType.split('.') as [string, string | undefined];
  const objectType = family === 'contact' ? CONTACT_TYPE_ID : e.objectTypeId;
  const contact = (cid: string) => ({ tenant, objectType: 'contact' as const, id: cid });

  if (objectType === CONTACT_TYPE_ID) {
    const oid = e.objectId;
    switch (action) {
      case 'creation':
        return oid ? [{ kind: 'touch', deliveryKey: key, contact: contact(oid) }] : [];
      case 'restore':
        return oid ? [{ kind: 'touch', deliveryKey: key, contact: contact(oid), restore: true }] : [];
      case 'deletion':
        return oid ? [{ kind: 'erase', deliveryKey: key, contact: contact(oid), privacy: false }] : [];
      case 'privacyDeletion':
        return oid ? [{ kind: 'erase', deliveryKey: key, contact: contact(oid), privacy: true }] : [];
      case 'merge': {
        const survivor = e.newObjectId ?? e.primaryObjectId ?? oid;
        if (!survivor) return [];
        const merged = [
          ...(e.mergedObjectIds ?? []),
          ...(e.primaryObjectId && e.primaryObjectId !== survivor ? [e.primaryObjectId] : []),
        ];
        return [
          {
            kind: 'merge',
            deliveryKey: key,
            tenant,
            survivorId: survivor,
            mergedIds: merged.filter((m) => m !== survivor),
          },
        ];
      }
      case 'propertyChange': {
        if (!oid) return [];
        if (e.propertyName && opts.ownProperties.has(e.propertyName)) return []; // our own write
        if (opts.appId && e.changeSource === 'INTEGRATION' && e.sourceId === opts.appId) return [];
        const activityType = e.propertyName ? PROPERTY_ACTIVITY[e.propertyName] : undefined;
        const at = epoch(e.propertyValue);
        if (activityType && at !== undefined) {
          const activity: Activity = {
            id: `hubspot:${e.propertyName}:${at}`,
            type: activityType,
            at,
            attributes: { source: e.propertyName! },
          };
          return [{ kind: 'activity', deliveryKey: key, contact: contact(oid), activity }];
        }
        return [{ kind: 'touch', deliveryKey: key, contact: contact(oid) }];
      }
      default:
        // contact.associationChange covers contact ↔ company, deal and ticket only (HubSpot's
        // contact subscription); none of those is engagement, so it asks nothing of us.
        return [];
    }
  }

  // Generic association events carry fromObjectTypeId/toObjectTypeId and no objectTypeId.
  if (family === 'object' && action === 'associationChange') return engagementAssociation(e, key, tenant);

  const activityType = objectType ? ENGAGEMENT_ACTIVITY[objectType] : undefined;
  if (!activityType) return [];
  if (action === 'creation' && e.objectId) {
    const meta = { type: activityType, at: e.occurredAt, attributes: { objectTypeId: objectType! } };
    return [{ kind: 'engagement', deliveryKey: key, tenant, engagementId: `${objectType}:${e.objectId}`, meta }];
  }
  return [];
}

/** An engagement ↔ contact association (generic `object.associationChange`), in either direction. */
function engagementAssociation(e: HubSpotEvent, key: string, tenant: Tenant): IngressOp[] {
  if (e.associationRemoved || !e.fromObjectId || !e.toObjectId) return [];
  const fromType = e.fromObjectTypeId;
  const toType = e.toObjectTypeId;
  const isEngagement = (t: string | undefined): t is string => t !== undefined && t in ENGAGEMENT_ACTIVITY;
  const link = (type: string, engagement: string, contactId: string): IngressOp[] => [
    { kind: 'engagement', deliveryKey: key, tenant, engagementId: `${type}:${engagement}`, contactIds: [contactId] },
  ];
  if (isEngagement(fromType) && toType === CONTACT_TYPE_ID) return link(fromType, e.fromObjectId, e.toObjectId);
  if (fromType === CONTACT_TYPE_ID && isEngagement(toType)) return link(toType, e.toObjectId, e.fromObjectId);
  return [];
}
