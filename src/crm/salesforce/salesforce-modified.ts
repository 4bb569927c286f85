import type { CrmObjectMapping } from '../../core/model.ts';
import type { ContactSnapshot } from '../../core/types.ts';
import { toEndOfGroup } from '../../platform/crm-port.ts';
import { selectFields, SOBJECT, toSnapshot, type SalesforceObjectType } from './salesforce-mapping.ts';

/** A page of the reconciliation sweep: snapshots with their SystemModstamp (epoch ms). */
export type ModifiedPage = { snapshot: ContactSnapshot; modifiedAt: number }[];

const PAGE = 200;
/**
 * SOQL datetime literals have no fraction (developer.salesforce.com, SOQL "Date Formats and Date
 * Literals"), and SystemModstamp is whole seconds: `>= since` is `>=` the next whole second.
 */
const soqlTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ceilSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;

/**
 * The SOQL for one page of one sObject, oldest first. The first page takes everything at or after
 * `since`; later pages go on strictly after the last (SystemModstamp, Id) seen (keyset paging:
 * OFFSET stops at 2,000 and records sharing a second would otherwise repeat or be skipped).
 * SystemModstamp rather than LastModifiedDate: it also moves on system changes and is indexed.
 */
export function modifiedSoql(
  objectType: SalesforceObjectType,
  m: CrmObjectMapping,
  after: { since: number } | { stamp: number; id: string },
): string {
  const where =
    'since' in after
      ? `SystemModstamp >= ${soqlTime(ceilSecond(after.since))}`
      : `(SystemModstamp > ${soqlTime(after.stamp)} OR (SystemModstamp = ${soqlTime(after.stamp)} AND Id > '${after.id}'))`;
  const open = objectType === 'lead' ? ' AND IsConverted = false' : '';
  const fields = [...new Set([...selectFields(m), 'SystemModstamp'])];
  return `SELECT ${fields.join(', ')} FROM ${SOBJECT[objectType]} WHERE ${where}${open} ORDER BY SystemModstamp ASC, Id ASC LIMIT ${PAGE}`;
}

interface Stream {
  objectType: SalesforceObjectType;
  m: CrmObjectMapping;
  buffer: { snapshot: ContactSnapshot; modifiedAt: number; id: string }[];
  next: { since: number } | { stamp: number; id: string };
  done: boolean;
}

/**
 * Leads and Contacts modified since `since`, merged into one oldest-first sequence of pages of
 * ≤ 200, about `maxRecords` in all (to the end of a second). Merged, not one sObject after the
 * other, because the caller's watermark is the newest time it has seen: were all Leads first, a run stopped at its
 * limit would skip the Contacts modified before the last Lead.
 */
export function listModified(
  types: readonly { objectType: SalesforceObjectType; m: CrmObjectMapping }[],
  since: Date,
  maxRecords: number,
  query: (objectType: SalesforceObjectType, soql: string) => Promise<Record<string, unknown>[]>,
): AsyncIterable<ModifiedPage> {
  return toEndOfGroup(merged(types, since, query), maxRecords);
}

async function* merged(
  types: readonly { objectType: SalesforceObjectType; m: CrmObjectMapping }[],
  since: Date,
  query: (objectType: SalesforceObjectType, soql: string) => Promise<Record<string, unknown>[]>,
): AsyncIterable<ModifiedPage> {
  const streams: Stream[] = types.map((t) => ({ ...t, buffer: [], next: { since: since.getTime() }, done: false }));
  const refill = async (s: Stream) => {
    if (s.buffer.length || s.done) return;
    const rows = await query(s.objectType, modifiedSoql(s.objectType, s.m, s.next));
    s.buffer = rows.map((r) => ({
      snapshot: toSnapshot(s.objectType, r, s.m),
      modifiedAt: Date.parse(String(r['SystemModstamp'])),
      id: String(r['Id']),
    }));
    s.done = rows.length < PAGE;
    const last = s.buffer.at(-1);
    if (last) s.next = { stamp: last.modifiedAt, id: last.id };
  };
  for (;;) {
    await Promise.all(streams.map(refill));
    const page: ModifiedPage = [];
    // Take the oldest head while every stream that may still hold older records has its head loaded.
    while (page.length < PAGE && !streams.some((s) => !s.buffer.length && !s.done)) {
      const live = streams.filter((s) => s.buffer.length);
      if (!live.length) break;
      const oldest = live.reduce((a, b) => (b.buffer[0]!.modifiedAt < a.buffer[0]!.modifiedAt ? b : a));
      const { snapshot, modifiedAt } = oldest.buffer.shift()!;
      page.push({ snapshot, modifiedAt });
    }
    if (!page.length) return;
    yield page;
  }
}
