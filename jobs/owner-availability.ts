import { DateTime } from 'luxon';
import { crmOwnerId } from '../src/core/crm-mapping.ts';
import type { LeadstageConfig } from '../src/core/model.ts';

/**
 * The CRM ids of the owners who are away at `nowMs`: on one of their configured away days (whole
 * days in the business-hours zone), or marked away until a later instant with
 * `leadstage owners away` (`marked`: owner key → epoch ms). The rotation skips them.
 */
export function awayOwnerIds(
  config: LeadstageConfig,
  crm: string,
  nowMs: number,
  marked: ReadonlyMap<string, number>,
): string[] {
  const today = DateTime.fromMillis(nowMs, { zone: config.businessHours.timezone }).toISODate()!;
  return config.assignment.owners
    .filter((o) => (marked.get(o.key) ?? 0) > nowMs || (o.away ?? []).some((a) => a.from <= today && today <= a.until))
    .map((o) => crmOwnerId(o, crm))
    .filter((id): id is string => Boolean(id));
}
