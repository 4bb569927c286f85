import type { LeadstageConfig } from '../src/core/model.ts';
import type { CrmOwner, CrmPort } from '../src/platform/crm-port.ts';
import type { Tenant } from '../src/platform/tenant.ts';
import { planSnapshots } from './plan-and-apply.ts';
import type { ActivityReader, BatchState, DeadLetterSink, RecomputeStore, RotationState } from './recompute-ports.ts';
import { simulatedSide, type SimulatedContact } from './simulate-config.ts';

/** The reads of the recompute state a simulation makes. */
export type ReadState = Pick<RotationState, 'loadRotation' | 'stageEntries'> & Pick<BatchState, 'gone'>;

/** What the simulation reads; every part is read-only (nothing goes to the CRM or Redis). */
export interface SimulateDeps {
  crm: CrmPort;
  activities: ActivityReader;
  /** The shared rotation credits (read once: the simulation's own picks stay in memory), stage entries, tombstones. */
  state: ReadState;
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

export interface SimulateResult {
  contacts: SimulatedContact[];
  /** listContacts pages read, and every CRM call made (the owner list included). */
  pages: number;
  crmCalls: number;
}

/** A simulation tried to change state: a bug, never an expected outcome. */
export class ReadOnlyViolation extends Error {
  constructor(what: string) {
    super(`the simulation must not ${what}`);
    this.name = 'ReadOnlyViolation';
  }
}

const refuse = (what: string) => async (): Promise<never> => {
  throw new ReadOnlyViolation(what);
};

/**
 * The recompute state as the planning sees it, read-only: rotation credits start from the shared
 * state and then live in memory (owners are picked in turn as a real rescore would pick them,
 * nothing is committed); every write throws.
 */
export function dryRunStore(base: ReadState): RecomputeStore {
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
    recordEntries: refuse('record stage entries'),
    takeBatch: refuse('take a batch'),
    finish: refuse('finish a batch'),
    pendingCount: refuse('count pending contacts'),
    gone: (t, ids) => base.gone(t, ids),
    claimTasks: refuse('claim tasks'),
    confirmTask: refuse('confirm tasks'),
    releaseTask: refuse('release tasks'),
  };
}

const noDeadLetters: DeadLetterSink = { add: refuse('dead-letter a record') };

/**
 * Plan every contact of the account (or the first `sample`) with the current and the new config,
 * as a rescore would now (planSnapshots: each contact with its stored activities and stage
 * entries, owner picks chained through the rotation). Reads the CRM in pages, never per contact.
 */
export async function simulateTenant(tenant: Tenant, deps: SimulateDeps): Promise<SimulateResult> {
  const callsBefore = deps.crm.calls;
  const nowMs = deps.now.getTime();
  let owners: Promise<CrmOwner[]> | null = null;
  let away: Promise<ReadonlyMap<string, number>> | null = null;
  const stores = [dryRunStore(deps.state), dryRunStore(deps.state)];
  // Listed once for the whole run and both configs, as the worker caches them.
  const cachedOwners = (t: Tenant) => (owners ??= deps.owners(t));
  const cachedAway = () => (away ??= deps.awayOwners(nowMs));

  const out: SimulatedContact[] = [];
  let cursor: string | null = null;
  let pages = 0;
  const max = deps.sample ?? Infinity;
  do {
    const page = await deps.crm.listContacts(tenant, { cursor });
    pages += 1;
    cursor = page.next;
    // Deleted contacts the listing still returns are skipped, as the rescore skips them.
    const gone = await deps.state.gone(
      tenant,
      page.contacts.map((c) => c.id),
    );
    const snapshots = page.contacts.filter((c) => !gone.has(c.id)).slice(0, max - out.length);
    if (snapshots.length === 0) continue;
    // The page's activities are read once for both configs.
    const read = deps.activities.activitiesMany(
      tenant,
      snapshots.map((c) => c.id),
      nowMs,
    );
    const [before, after] = await Promise.all(
      [deps.current, deps.next].map((config, i) =>
        planSnapshots(
          tenant,
          snapshots,
          {
            config,
            crm: deps.crm,
            activities: { activitiesMany: () => read },
            store: stores[i]!,
            deadLetters: noDeadLetters,
            owners: cachedOwners,
            awayOwners: cachedAway,
          },
          deps.now,
        ),
      ),
    );
    const afterById = new Map(after!.map((p) => [p.snapshot.id, p.plan]));
    for (const b of before!) {
      const { objectType, id } = b.snapshot;
      out.push({
        objectType,
        id,
        page: pages,
        before: simulatedSide(b.plan),
        after: simulatedSide(afterById.get(id)!),
      });
    }
  } while (cursor !== null && out.length < max);
  return { contacts: out, pages, crmCalls: deps.crm.calls - callsBefore };
}

/**
 * The config to read the contacts with: the current one, plus the CRM properties only the new
 * config maps (a new rule on a new field must see its values). A canonical field the two configs
 * map to different properties keeps the current property; it is named in `conflicts`.
 */
export function readingConfig(
  current: LeadstageConfig,
  next: LeadstageConfig,
  crm: string,
): { config: LeadstageConfig; conflicts: string[] } {
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
    merged = Object.fromEntries(
      Object.entries(cur).map(([type, m]) => [
        type,
        nxt[type] ? { ...m, fields: merge(m.fields, nxt[type].fields, `crm.${crm}.${type}`) } : m,
      ]),
    );
  } else merged = cur;
  return { config: { ...current, crm: { ...current.crm, [crm]: merged } }, conflicts };
}
