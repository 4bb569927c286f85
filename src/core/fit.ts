import type { FitConfig } from './model.ts';
import { testFieldTest } from './conditions.ts';
import type { ContactSnapshot, Reason } from './types.ts';

export interface FitResult {
  points: number;
  grade: string;
  disqualified: { ruleId: string; reason: string } | null;
  reasons: Reason[];
}

/** Grade rank: 0 is the best grade; unknown grades rank below all. */
export function gradeRank(cfg: FitConfig, grade: string): number {
  const i = cfg.grades.findIndex((g) => g.grade === grade);
  return i === -1 ? cfg.grades.length : i;
}

/**
 * Fit to the ideal customer profile. Fit does not decay: a VP at a 500-person SaaS company is
 * as good a fit next quarter. A disqualified contact gets the lowest grade whatever its points,
 * so no downstream rule keyed on grade can route it to sales.
 */
export function scoreFit(contact: ContactSnapshot, cfg: FitConfig, nowMs: number): FitResult {
  const reasons: Reason[] = [];
  let points = 0;
  for (const rule of cfg.rules) {
    if (testFieldTest(contact, rule, nowMs)) {
      points += rule.points;
      reasons.push({ kind: 'fit', ruleId: rule.id, points: rule.points });
    }
  }
  const lowest = cfg.grades[cfg.grades.length - 1]!.grade;
  let grade = cfg.grades.find((g) => g.minPoints === undefined || points >= g.minPoints)?.grade ?? lowest;

  let disqualified: FitResult['disqualified'] = null;
  for (const rule of cfg.disqualify) {
    if (testFieldTest(contact, rule, nowMs)) {
      disqualified = { ruleId: rule.id, reason: rule.reason };
      reasons.push({ kind: 'disqualify', ruleId: rule.id, points: 0, note: rule.reason });
      grade = lowest;
      break;
    }
  }
  return { points, grade, disqualified, reasons };
}
