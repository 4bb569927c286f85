/** The CRM-neutral core: pure functions from (contact, activities, config, now) to a plan. */
export { planContact } from './plan-contact.ts';
export { crmOwnerId, mappingFor, objectMappings, type ObjectMappingEntry } from './crm-mapping.ts';
export { BUILT_IN_ACTIVITY_TYPES } from './activity-types.ts';
export { addBusinessMinutes, dueTime } from './business-time.ts';
export { pickWeighted } from './owner-rotation.ts';
export { taskKey } from './tasks.ts';
export {
  decideEscalation,
  handoffKey,
  stepAt,
  teamHours,
  type CrmTaskView,
  type EscalationDecision,
  type SlaTask,
} from './escalation.ts';
export type * from './types.ts';
export type * from './model.ts';
