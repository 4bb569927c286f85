import type { ContactSnapshot, Plan, PlanChanges } from '../src/core/types.ts';
import type { LedgerEntry } from '../src/store/score-ledger.ts';

/**
 * The ledger entry for a write the CRM accepted, or null when neither the score nor the stage
 * moved (a grade, reason-text or owner change alone is not a score change worth a line).
 */
export function ledgerEntry(
  before: ContactSnapshot,
  plan: Plan,
  written: PlanChanges,
  at: Date,
  cause: LedgerEntry['cause'],
  configVersion?: string,
): LedgerEntry | null {
  if (written.score === undefined && written.stage === undefined) return null;
  const reasons = [...plan.reasons]
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points))
    .slice(0, 3)
    .map((r) => `${r.ruleId} ${r.points >= 0 ? '+' : ''}${Math.round(r.points * 10) / 10}`);
  return {
    at: at.toISOString(),
    cause,
    score: { from: before.scored?.score ?? null, to: written.score ?? plan.score.total },
    stage: { from: before.stage, to: written.stage ?? before.stage },
    reasons,
    ...(written.stage !== undefined ? { stageReason: plan.stage.reason } : {}),
    ...(configVersion ? { configVersion } : {}),
  };
}
