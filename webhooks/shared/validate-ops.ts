import type { IngressOp } from '../../src/platform/tenant.ts';

/** Ids become parts of Redis keys and CRM queries: a short, plain alphabet only. */
const SAFE_ID = /^[A-Za-z0-9_:.-]{1,100}$/;

function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (Array.isArray(value)) return value.every(wellFormed);
  if (value && typeof value === 'object')
    return Object.entries(value).every(([k, v]) => k.isWellFormed() && wellFormed(v));
  return true;
}

function idsOf(op: IngressOp): string[] {
  switch (op.kind) {
    case 'activity':
    case 'touch':
    case 'erase':
      return [op.contact.tenant.id, op.contact.id];
    case 'merge':
      return [op.tenant.id, op.survivorId, ...op.mergedIds];
    case 'engagement':
      return [op.tenant.id, op.engagementId, ...(op.contactIds ?? [])];
    case 'unresolved':
      return [op.emailHash];
  }
}

/**
 * The last check before ops are stored, for every source: ids have a safe shape, and no string
 * holds a lone UTF-16 surrogate (valid JSON can carry one as "\ud800"; Redis' JSON would refuse it
 * and the sender would retry the whole batch forever). Returns why the request is malformed, or null.
 */
export function invalidOps(ops: readonly IngressOp[]): string | null {
  for (const [i, op] of ops.entries()) {
    const bad = idsOf(op).find((id) => !SAFE_ID.test(id));
    if (bad !== undefined) return `event ${i}: an id has characters or a length no CRM id has`;
    if (!wellFormed(op)) return `event ${i}: a string holds a lone UTF-16 surrogate`;
  }
  return null;
}
