import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/tasks/index.js';
import type { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/tasks/models/Filter.js';
import type { PlannedTask } from '../../core/types.ts';
import { taskMarker, type ContactRefById, type CrmTask, type TaskUpdate } from '../../platform/crm-port.ts';

/** HubSpot's defined association type id for task → contact. */
export const TASK_TO_CONTACT = 204;
const PRIORITY = { low: 'LOW', medium: 'MEDIUM', high: 'HIGH' } as const;
const TYPE = { call: 'CALL', email: 'EMAIL', todo: 'TODO' } as const;

/**
 * One task input of a batch create. `objectWriteTraceId` (our task key) makes the batch
 * multi-status: valid inputs are created, each invalid one is reported with its trace id, instead
 * of one bad input failing the batch (developers.hubspot.com/docs/api-reference/error-handling).
 * The marker in the body finds the task again after a lost answer.
 */
export function taskInput(task: PlannedTask, contact: ContactRefById) {
  return {
    objectWriteTraceId: task.key,
    properties: {
      hs_timestamp: task.dueAt,
      hs_task_subject: task.subject,
      hs_task_body: `${task.body}\n\n${taskMarker(task.key)}`.trim(),
      hs_task_status: 'NOT_STARTED',
      hs_task_priority: PRIORITY[task.priority],
      hs_task_type: TYPE[task.type],
      ...(task.ownerId ? { hubspot_owner_id: task.ownerId } : {}),
    },
    associations: [
      {
        to: { id: contact.id },
        types: [
          {
            associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
            associationTypeId: TASK_TO_CONTACT,
          },
        ],
      },
    ],
  };
}

/** The task properties the SLA escalation reads (developers.hubspot.com/docs/api-reference/crm-tasks-v3). */
export const TASK_VIEW_PROPERTIES = ['hs_task_status', 'hubspot_owner_id', 'hs_task_body'];

/** A task record of a batch read, as the port's view: open unless COMPLETED. */
export function taskView(r: { id: string; properties: Record<string, string | null> }): CrmTask {
  return {
    id: r.id,
    open: r.properties['hs_task_status'] !== 'COMPLETED',
    ownerId: r.properties['hubspot_owner_id'] || null,
    body: r.properties['hs_task_body'] ?? '',
  };
}

/** One input of a task batch update: only the properties the update names. */
export function taskUpdateInput(u: TaskUpdate): { id: string; properties: Record<string, string> } {
  return {
    id: u.id,
    properties: {
      ...(u.body !== undefined ? { hs_task_body: u.body } : {}),
      ...(u.priority ? { hs_task_priority: PRIORITY[u.priority] } : {}),
      ...(u.ownerId ? { hubspot_owner_id: u.ownerId } : {}),
      ...(u.close ? { hs_task_status: 'COMPLETED' } : {}),
    },
  };
}

/** A search for records whose `property` (epoch ms) is at or after `since`, oldest first, 200 a page. */
export function searchSince(property: string, since: Date, properties: string[], after: string | undefined) {
  return {
    filterGroups: [
      { filters: [{ propertyName: property, operator: 'GTE' as FilterOperatorEnum, value: String(since.getTime()) }] },
    ],
    properties,
    sorts: [property],
    limit: 200,
    ...(after ? { after } : {}),
  };
}

/** The tasks of one contact, newest first (the fallback lookup of a task by its marker). */
export function tasksOfContact(contactId: string) {
  return {
    filterGroups: [
      { filters: [{ propertyName: 'associations.contact', operator: 'EQ' as FilterOperatorEnum, value: contactId }] },
    ],
    properties: ['hs_task_body'],
    sorts: ['-hs_createdate'],
    limit: 100,
  };
}
