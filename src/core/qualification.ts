import type { BantKey, QualificationConfig } from './model.ts';
import { testFieldTest } from './conditions.ts';
import type { ContactSnapshot, Reason } from './types.ts';

const BANT_ORDER: readonly BantKey[] = ['budget', 'authority', 'need', 'timing'];

/** Which BANT criteria the contact's fields satisfy (sales-entered fields, typically). */
export function evaluateBant(
  contact: ContactSnapshot,
  cfg: QualificationConfig,
  nowMs: number,
): { satisfied: BantKey[]; reasons: Reason[] } {
  const satisfied = BANT_ORDER.filter((key) => {
    const test = cfg.criteria[key];
    return test !== undefined && testFieldTest(contact, test, nowMs);
  });
  return { satisfied, reasons: satisfied.map((key) => ({ kind: 'bant', ruleId: key, points: 0 })) };
}
