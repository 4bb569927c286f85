import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { addBusinessMinutes, businessDayMinutes, dueTime } from './business-time.ts';
import { crmOwnerId } from './crm-mapping.ts';
import type { BusinessHours, Duration, LeadstageConfig, OwnerConfig } from './model.ts';
import type { CrmObjectType, PlannedTask } from './types.ts';

/** A follow-up task leadstage created and watches until its SLA is met or the ladder ends. */
export interface SlaTask {
  key: string;
  taskId: string;
  crm: string;
  contact: { objectType: CrmObjectType; id: string };
  ownerId: string | null;
  /** The escalation step that fires next (index into escalation.steps). */
  step: number;
  /** Epoch ms: the task's due date, and when it was created. */
  dueAt: number;
  createdAt: number;
  ruleId: string;
  slaRuleId: string;
  stage: string;
  subject: string;
  type: PlannedTask['type'];
  /** Owner keys this contact's task already had (a reassignment never goes back to them). */
  tried: string[];
  /** The owner key the contact was taken from because that owner was away (returnWhenBack). */
  loanedFrom?: string;
}

/** What the CRM shows of the task now. */
export interface CrmTaskView {
  open: boolean;
  ownerId: string | null;
  body: string;
}

export interface EscalationInput {
  config: LeadstageConfig;
  task: SlaTask;
  /** null: the task is gone from the CRM. */
  view: CrmTaskView | null;
  /** The latest activity of a `contactedBy` type, epoch ms, or null. */
  contactedAt: number | null;
  nowMs: number;
  /** CRM ids of the owners who are away now. */
  awayOwnerIds: ReadonlySet<string>;
  /** The contact's stage as leadstage last wrote it, when known (a recycled MQL needs no follow-up). */
  contactStage?: string | null | undefined;
}

export type EscalationDecision =
  | { kind: 'done'; reason: 'closed' | 'contacted' | 'gone' | 'no-escalation' | 'ladder-ended' }
  | { kind: 'wait'; at: number }
  /** The contact went back below the task's stage (recycled to nurture): close the task with the reason. */
  | { kind: 'retire'; body: string }
  | { kind: 'remind'; body: string; next: number | null }
  | {
      kind: 'handoff';
      action: 'reassign' | 'escalate';
      toOwnerKey: string;
      /** The old task's body with the closing reason, then the old task is closed. */
      closingBody: string;
      newTask: PlannedTask;
      /** The SLA record of the new task (its next step; past the last step it is kept only for a loan). */
      next: SlaTask;
    };

const MARKER = /\n*\[leadstage:[0-9a-f]+\]/g;

/** Business hours of the team the owner belongs to: its zone, the config's working days and hours. */
export function teamHours(config: LeadstageConfig, crm: string, ownerId: string | null): BusinessHours {
  const owner = ownerId ? config.assignment.owners.find((o) => crmOwnerId(o, crm) === ownerId) : undefined;
  const team = owner?.team ? config.assignment.teams.find((t) => t.id === owner.team) : undefined;
  return team?.timezone ? { ...config.businessHours, timezone: team.timezone } : config.businessHours;
}

function minutesOf(d: Duration, hours: BusinessHours): number {
  return (d.minutes ?? 0) + (d.hours ?? 0) * 60 + (d.businessDays ?? 0) * businessDayMinutes(hours);
}

/** When the task's next step fires: its `after` in business time of the owner's team, from the due date. */
export function stepAt(
  config: LeadstageConfig,
  task: Pick<SlaTask, 'crm' | 'ownerId' | 'step' | 'dueAt'>,
): number | null {
  const step = config.escalation?.steps[task.step];
  if (!step) return null;
  const hours = teamHours(config, task.crm, task.ownerId);
  const minutes = minutesOf(step.after, hours);
  return step.after.calendar ? task.dueAt + minutes * 60_000 : addBusinessMinutes(task.dueAt, minutes, hours);
}

/** The idempotency key of the task a handoff creates: the same task and step always give the same key. */
export function handoffKey(taskKey: string, step: number): string {
  return createHash('sha256').update(`${taskKey}\u001fsla-step\u001f${step}`).digest('hex').slice(0, 40);
}

/** Marks a note in the task body as done for this step, so a retried step never adds it twice. */
export function stepMark(task: Pick<SlaTask, 'key' | 'step'>): string {
  return `[sla-step:${task.key.slice(0, 8)}:${task.step}]`;
}

function localTime(ms: number, hours: BusinessHours): string {
  return DateTime.fromMillis(ms, { zone: hours.timezone }).toFormat("ccc d LLL HH:mm '('ZZZZ')'");
}

function usable(o: OwnerConfig | undefined, crm: string, away: ReadonlySet<string>): o is OwnerConfig {
  const id = o ? crmOwnerId(o, crm) : undefined;
  return Boolean(o && o.active && id && !away.has(id));
}

/** The next owner of the rotation after the task's owner: its pool's order, skipping the away and the tried. */
function nextOwner(config: LeadstageConfig, task: SlaTask, away: ReadonlySet<string>): OwnerConfig | null {
  const { owners, pools } = config.assignment;
  const current = owners.find((o) => crmOwnerId(o, task.crm) === task.ownerId);
  const pool = pools.find((p) => current && p.owners.includes(current.key)) ?? pools.find((p) => !p.when) ?? pools[0];
  if (!pool) return null;
  const start = current ? pool.owners.indexOf(current.key) : -1;
  for (let i = 1; i <= pool.owners.length; i++) {
    const key = pool.owners[(start + i + pool.owners.length) % pool.owners.length]!;
    if (key === current?.key || task.tried.includes(key)) continue;
    const o = owners.find((x) => x.key === key);
    if (usable(o, task.crm, away)) return o;
  }
  return null;
}

function manager(config: LeadstageConfig, task: SlaTask, away: ReadonlySet<string>): OwnerConfig | null {
  const { owners, teams } = config.assignment;
  const current = owners.find((o) => crmOwnerId(o, task.crm) === task.ownerId);
  const team = current?.team ? teams.find((t) => t.id === current.team) : undefined;
  for (const key of [team?.manager, config.escalation?.manager]) {
    const o = owners.find((x) => x.key === key);
    if (key && key !== current?.key && usable(o, task.crm, away)) return o;
  }
  return null;
}

/**
 * What to do with one watched task now. The ladder: at each step's time, if the task is still open and
 * the contact was not contacted since the task was created, remind (priority high, a note), reassign
 * (the next available owner of the rotation gets a new task; the old one is closed with the reason) or
 * escalate (the same, to the team's manager). A remind for an owner who is away is pointless: the lead
 * is handed on at once. A reassignment with no one available falls through to the next step.
 */
export function decideEscalation(input: EscalationInput): EscalationDecision {
  const { config, view, nowMs, awayOwnerIds } = input;
  const esc = config.escalation;
  if (!esc) return { kind: 'done', reason: 'no-escalation' };
  if (!view) return { kind: 'done', reason: 'gone' };
  if (!view.open) return { kind: 'done', reason: 'closed' };
  if (input.contactedAt !== null && input.contactedAt >= input.task.createdAt)
    return { kind: 'done', reason: 'contacted' };

  const stages = config.lifecycle.stages;
  const { contactStage } = input;
  if (
    contactStage &&
    stages.indexOf(contactStage) >= 0 &&
    stages.indexOf(contactStage) < stages.indexOf(input.task.stage)
  ) {
    const note = `[leadstage] Closed: the lead went back to ${contactStage} before anyone followed up; no follow-up is due. ${stepMark(input.task)}`;
    return { kind: 'retire', body: `${view.body}\n\n${note}` };
  }
  let task: SlaTask = { ...input.task, ownerId: view.ownerId ?? input.task.ownerId };
  // A remind skipped because the owner is away hands the lead on at once, not at the next step's time.
  let hurry = false;
  for (; task.step < esc.steps.length; task = { ...task, step: task.step + 1 }) {
    const at = stepAt(config, task)!;
    if (at > nowMs && !hurry) return { kind: 'wait', at };
    const hours = teamHours(config, task.crm, task.ownerId);
    const missed = `SLA missed: due ${localTime(task.dueAt, hours)}, still open at ${localTime(nowMs, hours)}`;
    const action = esc.steps[task.step]!.action;
    const ownerAway = task.ownerId !== null && awayOwnerIds.has(task.ownerId);
    if (action === 'remind') {
      if (ownerAway) {
        hurry = true;
        continue;
      }
      const next = stepAt(config, { ...task, step: task.step + 1 });
      return {
        kind: 'remind',
        body: `${view.body}\n\n[leadstage] ${missed}. Priority raised to high. ${stepMark(task)}`,
        next,
      };
    }
    const to = action === 'reassign' ? nextOwner(config, task, awayOwnerIds) : manager(config, task, awayOwnerIds);
    if (!to) continue;
    return handoff(config, task, view, to, action, missed, ownerAway, nowMs);
  }
  return { kind: 'done', reason: 'ladder-ended' };
}

function handoff(
  config: LeadstageConfig,
  task: SlaTask,
  view: CrmTaskView,
  to: OwnerConfig,
  action: 'reassign' | 'escalate',
  missed: string,
  ownerAway: boolean,
  nowMs: number,
): EscalationDecision {
  const fromKey =
    config.assignment.owners.find((o) => crmOwnerId(o, task.crm) === task.ownerId)?.key ?? task.ownerId ?? 'no owner';
  const verb = action === 'reassign' ? 'Reassigned' : 'Escalated to the manager';
  const why = ownerAway ? `${missed} (${fromKey} is away)` : missed;
  const toId = crmOwnerId(to, task.crm)!;
  const hours = teamHours(config, task.crm, toId);
  const sla = config.tasks.find((r) => r.id === task.ruleId)?.sla.find((s) => s.id === task.slaRuleId);
  const dueAt = dueTime(nowMs, sla?.due ?? { hours: 1, calendar: false }, hours);
  const key = handoffKey(task.key, task.step);
  const newTask: PlannedTask = {
    key,
    ruleId: task.ruleId,
    stage: task.stage,
    subject: task.subject.startsWith('[SLA]') ? task.subject : `[SLA] ${task.subject}`.slice(0, 255),
    body: `[leadstage] ${verb} from ${fromKey} to ${to.key}: ${why}.\n\n${view.body.replace(MARKER, '').trim()}`.trim(),
    type: task.type,
    priority: 'high',
    dueAt: new Date(dueAt).toISOString(),
    slaRuleId: task.slaRuleId,
    ownerId: toId,
  };
  const next: SlaTask = {
    ...task,
    key,
    taskId: '',
    ownerId: toId,
    step: task.step + 1,
    dueAt,
    createdAt: nowMs,
    subject: newTask.subject,
    tried: [...new Set([...task.tried, fromKey])],
    ...(ownerAway && config.escalation!.returnWhenBack && !task.loanedFrom ? { loanedFrom: fromKey } : {}),
  };
  return {
    kind: 'handoff',
    action,
    toOwnerKey: to.key,
    closingBody: `${view.body}\n\n[leadstage] Closed: ${why}. ${verb} to ${to.key}. ${stepMark(task)}`,
    newTask,
    next,
  };
}
