import { createHash } from 'node:crypto';
import type { LeadstageConfig, SlaRule, TaskRule } from './model.ts';
import { dueTime } from './business-time.ts';
import { teamHours } from './escalation.ts';
import { gradeRank } from './fit.ts';
import { renderTemplate, type TemplateVariable } from './template.ts';
import type { Activity, ContactSnapshot, PlannedTask } from './types.ts';

const SUBJECT_MAX = 255;

/**
 * The idempotency key of a task: contact, rule, stage and which entry into that stage. The same
 * inputs always give the same key, so the worker's ledger can refuse a second create on retry.
 */
export function taskKey(contact: ContactSnapshot, ruleId: string, stage: string, entry: number): string {
  const material = [contact.crm, contact.objectType, contact.id, ruleId, stage, String(entry)].join('\u001f');
  return createHash('sha256').update(material).digest('hex').slice(0, 40);
}

export function chooseSla(
  rule: TaskRule,
  activities: readonly Activity[],
  grade: string,
  config: LeadstageConfig,
  nowMs: number,
): SlaRule {
  const match = rule.sla.find((sla) => {
    if (sla.whenMinGrade !== undefined && gradeRank(config.fit, grade) > gradeRank(config.fit, sla.whenMinGrade))
      return false;
    if (sla.whenActivity) {
      const since = nowMs - sla.withinHours * 3_600_000;
      const types = new Set(sla.whenActivity);
      if (!activities.some((a) => types.has(a.type) && a.at >= since && a.at <= nowMs + 300_000)) return false;
    }
    return true;
  });
  // Cross-checks require a final unconditional SLA, so there is always a match; keep a fallback anyway.
  return match ?? rule.sla[rule.sla.length - 1]!;
}

export interface TaskContext {
  contact: ContactSnapshot;
  activities: readonly Activity[];
  config: LeadstageConfig;
  nowMs: number;
  stage: string;
  grade: string;
  vars: Partial<Record<TemplateVariable, string>>;
  ownerId: string | null;
}

/** The follow-up tasks for entering `stage` now. */
export function planTasks(ctx: TaskContext): PlannedTask[] {
  const { contact, config, stage } = ctx;
  const entry = contact.stageEntries?.[stage] ?? 0;
  return config.tasks
    .filter((rule) => rule.onEnter === stage)
    .map((rule) => {
      const sla = chooseSla(rule, ctx.activities, ctx.grade, config, ctx.nowMs);
      return {
        key: taskKey(contact, rule.id, stage, entry),
        ruleId: rule.id,
        stage,
        subject: renderTemplate(rule.subject, ctx.vars).slice(0, SUBJECT_MAX),
        body: renderTemplate(rule.body, ctx.vars),
        type: rule.type,
        priority: sla.priority ?? rule.priority,
        // The SLA clock runs in the business hours of the owner's team (its zone).
        dueAt: new Date(dueTime(ctx.nowMs, sla.due, teamHours(config, contact.crm, ctx.ownerId))).toISOString(),
        slaRuleId: sla.id,
        ownerId: ctx.ownerId,
      };
    });
}
