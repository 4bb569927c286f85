import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { IngressOp, Tenant } from '../../src/platform/tenant.ts';
import { isSalesforceId, KEY_PREFIX } from '../salesforce/salesforce-id.ts';

const digits = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);
const sfId = z
  .string()
  .refine((id) => isSalesforceId(id, [KEY_PREFIX.lead, KEY_PREFIX.contact]), 'not a Lead (00Q…) or Contact (003…) id');
const scalar = z.union([z.string().max(2_000), z.number(), z.boolean(), z.null()]);
const instant = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const t = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(t)) {
    ctx.issues.push({ code: 'custom', input: v, message: 'not a date (ISO 8601 or epoch ms)' });
    return z.NEVER;
  }
  return t;
});

/** One event of the generic signed feed (documented in the README). */
export const feedEventSchema = z.strictObject({
  id: z.string().min(1).max(200),
  type: z.string().min(1),
  occurredAt: instant,
  contact: z.union([
    z.strictObject({ email: z.string().trim().toLowerCase().pipe(z.email()) }),
    z.strictObject({ crm: z.literal('hubspot'), portalId: digits, id: digits }),
    z.strictObject({
      crm: z.literal('salesforce'),
      orgId: z.string().refine((id) => isSalesforceId(id, [KEY_PREFIX.organization]), 'not an organization id (00D…)'),
      id: sfId,
    }),
  ]),
  attributes: z.record(z.string(), scalar).default({}),
});
export const feedBodySchema = z.union([feedEventSchema, z.array(feedEventSchema).min(1).max(500)]);
export type FeedEvent = z.infer<typeof feedEventSchema>;

export function emailHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

/** The tenant a feed event names, or null when it is addressed by e-mail only. */
export function feedTenant(e: FeedEvent): Tenant | null {
  const c = e.contact;
  if ('email' in c) return null;
  return c.crm === 'hubspot' ? { crm: 'hubspot', id: c.portalId } : { crm: 'salesforce', id: c.orgId.slice(0, 15) };
}

/**
 * Feed events → ops. Types must be known: built-in or the config's custom ones, or (`extra`) the
 * custom ones of the tenant the event names.
 */
export function normalizeFeed(
  events: readonly FeedEvent[],
  knownTypes: ReadonlySet<string>,
  extra: (type: string, tenant: Tenant) => boolean = () => false,
): { ok: true; ops: IngressOp[] } | { ok: false; reason: string } {
  const ops: IngressOp[] = [];
  for (const [i, e] of events.entries()) {
    const tenant = feedTenant(e);
    if (!knownTypes.has(e.type) && !(tenant && extra(e.type, tenant)))
      return { ok: false, reason: `event ${i}: unknown activity type "${e.type}"` };
    // Feed ids are the sender's strings: hash them so nothing personal lands in a Redis key.
    const deliveryKey = `events:${createHash('sha256').update(e.id).digest('hex').slice(0, 40)}`;
    const activity = { id: `feed:${e.id}`, type: e.type, at: e.occurredAt, attributes: e.attributes };
    const c = e.contact;
    if ('email' in c) {
      ops.push({ kind: 'unresolved', deliveryKey, emailHash: emailHash(c.email), email: c.email, activity });
    } else if (c.crm === 'hubspot') {
      ops.push({
        kind: 'activity',
        deliveryKey,
        contact: { tenant: { crm: 'hubspot', id: c.portalId }, objectType: 'contact', id: c.id },
        activity,
      });
    } else {
      const objectType = c.id.startsWith('00Q') ? 'lead' : 'contact';
      ops.push({
        kind: 'activity',
        deliveryKey,
        contact: { tenant: { crm: 'salesforce', id: c.orgId.slice(0, 15) }, objectType, id: c.id },
        activity,
      });
    }
  }
  return { ok: true, ops };
}
