import { assignOwner } from './assign-owner.ts';
import { mappingFor } from './crm-mapping.ts';
import { nextVisibleChange } from './next-change.ts';
import { scoreEngagement } from './engagement.ts';
import { readField } from './field-values.ts';
import { gradeRank, scoreFit } from './fit.ts';
import { decideLeadStatus, placeStage, type StageFacts } from './lifecycle.ts';
import { evaluateBant } from './qualification.ts';
import { rankReasons, reasonText } from './reason-text.ts';
import { planTasks } from './tasks.ts';
import type { OwnerDecision, Plan, PlanChanges, PlanInput, PlanResult } from './types.ts';

function text(v: unknown): string | undefined {
  return v === null || v === undefined || v === '' ? undefined : String(v);
}

/**
 * Plan one contact: score, grade, stage, lead status, owner and tasks, with every reason.
 * Pure: the same input always yields the same plan, and nothing here performs I/O or reads a
 * clock. Expected bad input comes back as `{ ok: false }`; a thrown error is a bug.
 */
export function planContact(input: PlanInput): PlanResult {
  const { contact, config } = input;
  const nowMs = input.now.getTime();
  if (!Number.isFinite(nowMs))
    return { ok: false, error: { code: 'invalid_now', message: '`now` is not a valid date' } };
  if (!contact.id) return { ok: false, error: { code: 'invalid_contact', message: 'the contact has no id' } };
  // Activities dated after `now` (clock skew, replays) count as happening now, never as a bonus.
  const activities = input.activities.some((a) => a.at > nowMs)
    ? input.activities.map((a) => (a.at > nowMs ? { ...a, at: nowMs } : a))
    : input.activities;

  const warnings: string[] = [];
  const engagement = scoreEngagement(contact, activities, config.engagement, nowMs);
  const fit = scoreFit(contact, config.fit, nowMs);
  const bant = evaluateBant(contact, config.qualification, nowMs);
  // A disqualified contact (a competitor, a student) scores 0: a high number next to "unqualified"
  // would send reps the wrong signal. Its fit and engagement parts stay in the plan for `explain`.
  const score = {
    total: fit.disqualified ? 0 : Math.round(fit.points + engagement.points),
    fit: Math.round(fit.points),
    engagement: Math.round(engagement.points),
  };
  const rankOf = (grade: string) => gradeRank(config.fit, grade);
  const facts: StageFacts = {
    score: score.total,
    engagement: score.engagement,
    gradeRank: rankOf(fit.grade),
    bantCount: bant.satisfied.length,
    disqualified: fit.disqualified !== null,
  };

  const placement = placeStage(config.lifecycle, contact.stage, facts, rankOf, contact.leadStatus);
  if (placement.warning) warnings.push(placement.warning);
  const leadStatus = decideLeadStatus(config.lifecycle, placement, contact.leadStatus, facts, rankOf);

  const reasons = rankReasons([...fit.reasons, ...engagement.reasons, ...bant.reasons]);
  const mapping = mappingFor(config, contact);
  const summary = reasonText(score, fit.grade, reasons, fit.disqualified, mapping?.write.reasonsMaxLength ?? 255);

  // Handing off (entering a handoff stage, or a stage with tasks) is what needs an owner.
  const entered = placement.changed && placement.to !== null ? placement.to : null;
  const forward =
    entered !== null && config.lifecycle.stages.indexOf(entered) > config.lifecycle.stages.indexOf(contact.stage ?? '');
  const needsOwner =
    forward && (config.lifecycle.handoffStages.includes(entered) || config.tasks.some((t) => t.onEnter === entered));
  let owner: OwnerDecision | null = null;
  let rotation: Plan['rotation'] = null;
  if (needsOwner) {
    const assigned = assignOwner(contact, config.assignment, input.assignment, nowMs);
    owner = assigned.decision;
    rotation = assigned.rotation;
    if (assigned.warning) warnings.push(assigned.warning);
  }

  const tasks = forward
    ? planTasks({
        contact,
        activities,
        config,
        nowMs,
        stage: entered,
        grade: fit.grade,
        ownerId: owner?.ownerId ?? null,
        vars: {
          firstName: text(readField(contact, 'firstName')),
          lastName: text(readField(contact, 'lastName')),
          company: text(readField(contact, 'company')),
          jobTitle: text(readField(contact, 'jobTitle')),
          score: String(score.total),
          grade: fit.grade,
          stage: entered,
          topReasons: reasons
            .filter((r) => r.points > 0)
            .slice(0, 3)
            .map((r) => r.ruleId)
            .join(', '),
        },
      })
    : [];

  const changes: PlanChanges = {};
  const was = contact.scored;
  if (was?.score !== score.total) changes.score = score.total;
  if (was?.grade !== fit.grade) changes.grade = fit.grade;
  if (was?.reasons !== summary) changes.reasons = summary;
  if (placement.changed && placement.to !== null) changes.stage = placement.to;
  if (leadStatus !== null && leadStatus !== contact.leadStatus) changes.leadStatus = leadStatus;
  if (owner?.ownerId && owner.ownerId !== contact.ownerId) changes.ownerId = owner.ownerId;

  const plan: Plan = {
    contact: { crm: contact.crm, objectType: contact.objectType, id: contact.id },
    plannedAt: input.now.toISOString(),
    score,
    grade: fit.grade,
    disqualified: fit.disqualified,
    bant: { satisfied: bant.satisfied, count: bant.satisfied.length },
    stage: {
      from: placement.from,
      to: placement.to,
      changed: placement.changed,
      reason: placement.reason,
      ...(placement.recycled ? { recycled: true as const } : {}),
    },
    leadStatus,
    owner,
    rotation,
    tasks,
    reasons,
    reasonText: summary,
    changes,
    nextChangeAt: null,
    warnings,
  };
  const next = nextVisibleChange(plan, contact, activities, config, nowMs);
  plan.nextChangeAt = next === null ? null : new Date(next).toISOString();
  return { ok: true, plan };
}
