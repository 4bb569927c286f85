import { crmOwnerId } from '../src/core/crm-mapping.ts';
import type { AssignmentState, Plan } from '../src/core/types.ts';
import type { LeadstageConfig } from '../src/core/model.ts';
import type { CrmOwner } from '../src/platform/crm-port.ts';
import type { Tenant } from '../src/platform/tenant.ts';
import type { RotationState } from './recompute-ports.ts';

/** The owners a batch must not assign to: inactive in the CRM, or configured but unknown to it. */
export function unavailableOwners(config: LeadstageConfig, crm: string, owners: readonly CrmOwner[]): string[] {
  const configured = config.assignment.owners.map((o) => crmOwnerId(o, crm)).filter((x): x is string => Boolean(x));
  const active = new Set(owners.filter((o) => o.active).map((o) => o.id));
  return [
    ...new Set([...owners.filter((o) => !o.active).map((o) => o.id), ...configured.filter((id) => !active.has(id))]),
  ];
}

/**
 * Plan contacts in order, chaining owner-rotation credits from the shared state; then store the
 * new credits with compare-and-set. If another worker moved a pool meanwhile, reload and plan
 * again (planning is pure, so replanning is only CPU).
 */
export async function planWithRotation(
  tenant: Tenant,
  state: RotationState,
  config: LeadstageConfig,
  ids: readonly string[],
  unavailableOwnerIds: readonly string[],
  plan: (id: string, assignment: AssignmentState) => Plan,
): Promise<Map<string, Plan>> {
  const pools = config.assignment.pools.map((p) => p.id);
  for (let attempt = 0; attempt < 5; attempt++) {
    const snap = await state.loadRotation(tenant, pools);
    const assignment: AssignmentState = { rotation: structuredClone(snap.credits), unavailableOwnerIds };
    const plans = new Map<string, Plan>();
    const moved = new Set<string>();
    for (const id of ids) {
      const p = plan(id, assignment);
      if (p.rotation) {
        assignment.rotation[p.rotation.poolId] = p.rotation.credits;
        moved.add(p.rotation.poolId);
      }
      plans.set(id, p);
    }
    let ok = true;
    for (const pool of moved) {
      if (!(await state.commitRotation(tenant, pool, snap.versions[pool]!, assignment.rotation[pool]!))) ok = false;
    }
    if (ok) return plans;
  }
  throw new RotationContendedError();
}

/** The rotation kept moving under this batch: a whole-batch failure, retried with backoff. */
export class RotationContendedError extends Error {
  constructor() {
    super('owner rotation kept changing under this batch; will retry');
    this.name = 'RotationContendedError';
  }
}
