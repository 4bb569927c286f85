import { planContact } from '../src/core/plan-contact.ts';
import type { LeadstageConfig } from '../src/core/model.ts';
import type { AssignmentState, ContactSnapshot, Plan } from '../src/core/types.ts';
import type { CrmOwner, CrmPort } from '../src/platform/crm-port.ts';
import type { Tenant } from '../src/platform/tenant.ts';
import { awayOwnerIds } from './owner-availability.ts';
import { planWithRotation, unavailableOwners } from './plan-batch.ts';
import type { ActivityReader, RotationState } from './recompute-ports.ts';
import { simulatedSide, type SimulatedContact } from './simulate-config.ts';

/** What the simulation reads; every part is read-only (nothing goes to the CRM or Redis). */
export interface SimulateDeps {
  crm: CrmPort;
  activities: ActivityReader;
  /** The shared rotation credits and stage entries, read once; the simulation's own picks stay in memory. */
  state: Pick<RotationState, 'loadRotation' | 'stageEntries'>;
  owners: (tenant: Tenant) => Promise<CrmOwner[]>;
  /** Owners marked away with `leadstage owners away`: owner key → until (epoch ms). */
  awayOwners: (nowMs: number) => Promise<ReadonlyMap<string, number>>;
  /** The config the account runs with now, and the one to try. */
  current: LeadstageConfig;
  next: LeadstageConfig;
  now: Date;
  /** Stop after this many contacts (absent: the whole account). */
  sample?: number;
}

export type SimulateResult =
  | { ok: true; contacts: SimulatedContact[]; pages: number; crmCalls: number }
  | { ok: false; reason: string };

/**
 * Rotation credits that start from the shared state and then live in memory only: owners are
 * picked in turn as a real rescore would pick them, and nothing is committed.
 */
export function dryRunRotation(base: Pick<RotationState, 'loadRotation' | 'stageEntries'>): RotationState {
  let mine: Record<string, Record<string, number>> | null = null;
  return {
    async loadRotation(crm, pools) {
      mine ??= structuredClone((await base.loadRotation(crm, pools)).credits);
      return { credits: structuredClone(mine), versions: Object.fromEntries(pools.map((p) => [p, 'dry-run'])) };
    },
    async commitRotation(_crm, pool, _version, credits) {
      mine = { ...mine, [pool]: structuredClone(credits) };
      return true;
    },
    stageEntries: (t, ids) => base.stageEntries(t, ids),
    recordEntries: async () => {},
  };
}

/**
 * Plan every contact of the account (or the first `sample`) with the current and the new config,
 * as a recompute would now: each contact with its stored activities and stage entries, owner
 * picks chained through the rotation. Reads the CRM in pages (listContacts), never per contact.
 */
export async function simulateTenant(tenant: Tenant, deps: SimulateDeps): Promise<SimulateResult> {
  const list = deps.crm.listContacts?.bind(deps.crm);
  if (!list) return { ok: false, reason: `the ${tenant.crm} adapter cannot list contacts with their properties yet` };
  const callsBefore = deps.crm.calls;
  const nowMs = deps.now.getTime();
  const needsOwners = [deps.current, deps.next].some((c) => c.assignment.owners.some((o) => o.ids[tenant.crm]));
  const owners = needsOwners ? await deps.owners(tenant) : [];
  const away = needsOwners ? await deps.awayOwners(nowMs) : new Map<string, number>();
  const sides = [deps.current, deps.next].map((config) => ({
    config,
    rotation: dryRunRotation(deps.state),
    unavailable: needsOwners ? [...unavailableOwners(config, tenant.crm, owners), ...awayOwnerIds(config, tenant.crm, nowMs, away)] : [],
  }));

  const out: SimulatedContact[] = [];
  let cursor: string | null = null;
  let pages = 0;
  const max = deps.sample ?? Infinity;
  do {
    const page: { contacts: ContactSnapshot[]; next: string | null } = await list(tenant, { cursor });
    pages += 1;
    cursor = page.next;
    const snapshots = page.contacts.slice(0, max - out.length);
    if (snapshots.length === 0) continue;
    const ids = snapshots.map((s) => s.id);
    const byId = new Map(snapshots.map((s) => [s.id, s]));
    const [activities, entries] = await Promise.all([deps.activities.activitiesMany(tenant, ids, nowMs), deps.state.stageEntries(tenant, ids)]);
    const [before, after] = await Promise.all(sides.map((side) =>
      planWithRotation(tenant, side.rotation, side.config, ids, side.unavailable, (id, assignment) => planOne(
        { ...byId.get(id)!, stageEntries: entries.get(id) ?? {} }, activities.get(id) ?? [], side.config, deps.now, assignment,
      ))));
    for (const s of snapshots) {
      out.push({ objectType: s.objectType, id: s.id, before: simulatedSide(before!.get(s.id)!), after: simulatedSide(after!.get(s.id)!) });
    }
  } while (cursor !== null && out.length < max);
  return { ok: true, contacts: out, pages, crmCalls: deps.crm.calls - callsBefore };
}

function planOne(contact: ContactSnapshot, activities: Parameters<typeof planContact>[0]['activities'], config: LeadstageConfig, now: Date, assignment: AssignmentState): Plan {
  const result = planContact({ contact, activities, config, now, assignment });
  if (!result.ok) throw new Error(`planning contact ${contact.id}: ${result.error.message}`); // a bug: inputs come from our own reads
  return result.plan;
}

/**
 * The config to read the contacts with: the current one, plus the CRM properties only the new
 * config maps (a new rule on a new field must see its values). A canonical field the two configs
 * map to different properties keeps the current property; it is named in `conflicts`.
 */
export function readingConfig(current: LeadstageConfig, next: LeadstageConfig, crm: string): { config: LeadstageConfig; conflicts: string[] } {
  const cur = current.crm[crm];
  const nxt = next.crm[crm];
  if (!cur || !nxt) return { config: current, conflicts: [] };
  const conflicts: string[] = [];
  const merge = (a: Record<string, string>, b: Record<string, string>, path: string) => {
    const out = { ...a };
    for (const [field, prop] of Object.entries(b)) {
      if (out[field] === undefined) out[field] = prop;
      else if (out[field] !== prop) conflicts.push(`${path}.fields.${field}`);
    }
    return out;
  };
  const isMapping = (e: object): e is { fields: Record<string, string> } => 'fields' in e && 'write' in e;
  let merged: typeof cur;
  if (isMapping(cur) && isMapping(nxt)) merged = { ...cur, fields: merge(cur.fields, nxt.fields, `crm.${crm}`) };
  else if (!isMapping(cur) && !isMapping(nxt)) {
    merged = Object.fromEntries(Object.entries(cur).map(([type, m]) =>
      [type, nxt[type] ? { ...m, fields: merge(m.fields, nxt[type].fields, `crm.${crm}.${type}`) } : m]));
  } else merged = cur;
  return { config: { ...current, crm: { ...current.crm, [crm]: merged } }, conflicts };
}
