import type { SandboxContact } from './hubspot-face.ts';

interface SearchBody {
  filterGroups?: { filters?: { propertyName: string; operator: string; value: string }[] }[];
  properties?: string[];
  limit?: number;
  after?: string;
}

/**
 * POST /crm/v3/objects/contacts/search as leadstage's reconciliation sweep uses it: contacts
 * modified since a watermark (`lastmodifieddate GTE ms`), oldest first, up to 200 per page with
 * `after` paging and HubSpot's 10,000-result cap (developers.hubspot.com/docs/api/crm/search).
 */
export function searchContacts(
  contacts: Iterable<SandboxContact>,
  modifiedAt: ReadonlyMap<string, number>,
  body: SearchBody,
) {
  const filters = body.filterGroups?.[0]?.filters ?? [];
  let rows = [...contacts];
  for (const f of filters) {
    if (f.propertyName === 'lastmodifieddate' && f.operator === 'GTE')
      rows = rows.filter((c) => (modifiedAt.get(c.id) ?? 0) >= Number(f.value));
    else
      return {
        status: 400,
        body: {
          status: 'error',
          message: `sandbox: unsupported filter ${f.propertyName} ${f.operator}`,
          category: 'VALIDATION_ERROR',
        },
      };
  }
  rows.sort((a, b) => (modifiedAt.get(a.id) ?? 0) - (modifiedAt.get(b.id) ?? 0) || Number(a.id) - Number(b.id));
  const limit = Math.min(200, body.limit ?? 10);
  const start = Number(body.after ?? 0);
  if (start >= 10_000)
    return {
      status: 400,
      body: { status: 'error', message: 'search results are capped at 10,000', category: 'VALIDATION_ERROR' },
    };
  const page = rows.slice(start, start + limit).map((c) => ({
    id: c.id,
    properties: {
      ...Object.fromEntries((body.properties ?? []).map((p) => [p, c.properties[p] ?? null])),
      lastmodifieddate: new Date(modifiedAt.get(c.id) ?? 0).toISOString(),
      hs_object_id: c.id,
    },
    createdAt: 'x',
    updatedAt: new Date(modifiedAt.get(c.id) ?? 0).toISOString(),
    archived: false,
  }));
  const next = start + limit < rows.length ? { paging: { next: { after: String(start + limit) } } } : {};
  return { status: 200, body: { total: rows.length, results: page, ...next } };
}
