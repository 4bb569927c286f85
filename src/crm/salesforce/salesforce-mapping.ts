import { DateTime } from 'luxon';
import type { CrmObjectMapping } from '../../core/model.ts';
import type { ContactSnapshot, CrmObjectType, FieldValue, PlannedTask } from '../../core/types.ts';
import { reverse, taskMarker, type ContactWrite, type TaskUpdate } from '../../platform/crm-port.ts';

export const SOBJECT = { lead: 'Lead', contact: 'Contact' } as const;
export type SalesforceObjectType = keyof typeof SOBJECT;

/** The sObject of one of our object types; anything else is a bug in the caller. */
export function sobjectOf(objectType: CrmObjectType): 'Lead' | 'Contact' {
  if (objectType !== 'lead' && objectType !== 'contact') throw new Error(`not a Salesforce object type: ${objectType}`);
  return SOBJECT[objectType];
}

/** Field API names to SELECT (relationship paths such as Account.Name included). */
export function selectFields(m: CrmObjectMapping): string[] {
  const w = m.write;
  return [
    ...new Set(
      ['Id', 'OwnerId', ...Object.values(m.fields), w.score, w.fitGrade, w.reasons, w.stage, w.leadStatus].filter(
        (f): f is string => Boolean(f),
      ),
    ),
  ];
}

function pick(record: Record<string, unknown>, path: string): FieldValue {
  let v: unknown = record;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v === undefined ? null : (v as FieldValue);
}

export function toSnapshot(
  objectType: CrmObjectType,
  record: Record<string, unknown>,
  m: CrmObjectMapping,
): ContactSnapshot {
  const fields: Record<string, FieldValue> = {};
  for (const [canonical, path] of Object.entries(m.fields)) fields[canonical] = pick(record, path);
  const text = (path: string | undefined) => (path ? (pick(record, path) as string | null) : null) || null;
  const rawStage = text(m.write.stage);
  const rawStatus = text(m.write.leadStatus);
  const score = m.write.score ? pick(record, m.write.score) : null;
  return {
    crm: 'salesforce',
    objectType,
    id: String(record['Id']),
    stage: rawStage === null ? null : (reverse(m.stageValues).get(rawStage) ?? rawStage),
    leadStatus: rawStatus === null ? null : (reverse(m.leadStatusValues).get(rawStatus) ?? rawStatus),
    ownerId: (record['OwnerId'] as string | null) ?? null,
    fields,
    scored: {
      score: score === null || score === '' || !Number.isFinite(Number(score)) ? null : Number(score),
      grade: text(m.write.fitGrade),
      reasons: text(m.write.reasons),
    },
  };
}

/** The fields to update for one write: only the changed ones (Salesforce stages are plain fields). */
export function toFields(w: ContactWrite, m: CrmObjectMapping): Record<string, string | number> {
  const c = w.changes;
  const out: Record<string, string | number> = {};
  const set = (field: string | undefined, value: string | number | undefined) => {
    if (field && value !== undefined) out[field] = value;
  };
  set(m.write.score, c.score);
  set(m.write.fitGrade, c.grade);
  set(m.write.reasons, c.reasons);
  set(m.write.stage, c.stage === undefined ? undefined : (m.stageValues[c.stage] ?? c.stage));
  set(m.write.leadStatus, c.leadStatus === undefined ? undefined : (m.leadStatusValues[c.leadStatus] ?? c.leadStatus));
  set('OwnerId', c.ownerId);
  if (Object.keys(out).length > 0) set(m.write.scoredAt, w.scoredAt.toISOString());
  return out;
}

/** Task values leadstage writes: Salesforce's default TaskPriority and TaskStatus values. */
export const TASK_PRIORITY = { low: 'Low', medium: 'Normal', high: 'High' } as const;
export const TASK_STATUS = 'Not Started';
/** The Status a closed follow-up gets (a default TaskStatus value with IsClosed true). */
export const TASK_CLOSED_STATUS = 'Completed';

/** A Task update: only the fields the update names (developer.salesforce.com … sforce_api_objects_task.htm). */
export function toTaskUpdate(u: TaskUpdate): Record<string, unknown> {
  return {
    Id: u.id,
    ...(u.body !== undefined ? { Description: u.body } : {}),
    ...(u.priority ? { Priority: TASK_PRIORITY[u.priority] } : {}),
    ...(u.ownerId ? { OwnerId: u.ownerId } : {}),
    ...(u.close ? { Status: TASK_CLOSED_STATUS } : {}),
  };
}

/** A Task record: ActivityDate is the due day in the business-hours zone; the reminder keeps the minute. */
export function toTask(task: PlannedTask, whoId: string, timezone: string): Record<string, unknown> {
  return {
    WhoId: whoId,
    ...(task.ownerId ? { OwnerId: task.ownerId } : {}),
    Subject: task.subject.slice(0, 255),
    ActivityDate: DateTime.fromISO(task.dueAt, { zone: timezone }).toISODate(),
    IsReminderSet: true,
    ReminderDateTime: task.dueAt,
    Priority: TASK_PRIORITY[task.priority],
    Status: TASK_STATUS,
    Description: `${task.body}\n\n${taskMarker(task.key)}`.trim(),
  };
}
