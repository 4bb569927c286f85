import type { AssignmentConfig, OwnerConfig } from './model.ts';
import { testFieldTest } from './conditions.ts';
import { crmOwnerId } from './crm-mapping.ts';
import { pickWeighted } from './owner-rotation.ts';
import type { AssignmentState, ContactSnapshot, OwnerDecision } from './types.ts';

export interface OwnerAssignment {
  decision: OwnerDecision;
  rotation: { poolId: string; credits: Record<string, number> } | null;
  warning?: string;
}

/**
 * Who follows up. An active existing owner is kept (by default); otherwise the first pool whose
 * territory test matches rotates among its active members that have an id in this CRM.
 */
export function assignOwner(
  contact: ContactSnapshot,
  cfg: AssignmentConfig,
  state: AssignmentState | undefined,
  nowMs: number,
): OwnerAssignment {
  const unavailable = new Set(state?.unavailableOwnerIds ?? []);
  const rosterByCrmId = new Map<string, OwnerConfig>();
  for (const o of cfg.owners) {
    const id = crmOwnerId(o, contact.crm);
    if (id) rosterByCrmId.set(id, o);
  }

  const existing = contact.ownerId;
  if (existing && cfg.keepExistingOwner) {
    const rostered = rosterByCrmId.get(existing);
    if (!unavailable.has(existing) && (rostered === undefined || rostered.active)) {
      return {
        decision: { ownerId: existing, ownerKey: rostered?.key ?? null, source: 'existing', poolId: null },
        rotation: null,
      };
    }
  }

  const pool = cfg.pools.find((p) => p.when === undefined || testFieldTest(contact, p.when, nowMs));
  const none = (warning: string): OwnerAssignment => ({
    decision: { ownerId: existing, ownerKey: null, source: 'none', poolId: pool?.id ?? null },
    rotation: null,
    warning,
  });
  if (!pool) return none('no owner pool matches this contact');

  const byKey = new Map(cfg.owners.map((o) => [o.key, o]));
  const members = pool.owners
    .map((key) => byKey.get(key))
    .filter((o): o is OwnerConfig => {
      if (!o || !o.active) return false;
      const id = crmOwnerId(o, contact.crm);
      return id !== undefined && !unavailable.has(id);
    })
    .map((o) => ({ key: o.key, weight: o.weight }));
  const pick = pickWeighted(members, state?.rotation[pool.id] ?? {});
  if (!pick) return none(`pool ${pool.id} has no active owner with a ${contact.crm} id`);

  const owner = byKey.get(pick.key)!;
  return {
    decision: { ownerId: crmOwnerId(owner, contact.crm)!, ownerKey: owner.key, source: 'rotation', poolId: pool.id },
    rotation: { poolId: pool.id, credits: pick.credits },
  };
}
