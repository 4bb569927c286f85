import type { ContactSnapshot, PlanChanges } from './types.ts';

/** The contact as the CRM shows it once `changes` are written (what the next plan starts from). */
export function applyChanges(contact: ContactSnapshot, changes: PlanChanges): ContactSnapshot {
  const was = contact.scored ?? { score: null, grade: null, reasons: null };
  const { stageEntries: _e, ...rest } = contact;
  return {
    ...rest,
    stage: changes.stage ?? contact.stage,
    leadStatus: changes.leadStatus ?? contact.leadStatus,
    ownerId: changes.ownerId ?? contact.ownerId,
    scored: {
      score: changes.score ?? was.score,
      grade: changes.grade ?? was.grade,
      reasons: changes.reasons ?? was.reasons,
    },
  };
}
