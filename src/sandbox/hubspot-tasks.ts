import type { HsReply, SandboxTask } from './hubspot-face.ts';

// The task batch endpoints as HubSpot documents them (developers.hubspot.com/docs/api-reference/crm-tasks-v3):
// a read answers 207 with OBJECT_NOT_FOUND for ids it does not have; an update of an unknown id fails the call.

const TASK_PROPERTIES = new Set(['hs_task_body', 'hs_task_priority', 'hs_task_status', 'hubspot_owner_id', 'hs_task_subject', 'hs_timestamp', 'hs_task_type']);

/** POST /crm/v3/objects/tasks/batch/read */
export function readTasks(tasks: readonly SandboxTask[], body: { inputs: { id: string }[]; properties?: string[] }, now: string): HsReply {
  if (body.inputs.length > 100) return { status: 400, body: { status: 'error', message: 'Batch input limit is 100', category: 'VALIDATION_ERROR' } };
  const found = body.inputs.map((i) => tasks.find((t) => t.id === i.id)).filter((t): t is SandboxTask => Boolean(t));
  const missing = body.inputs.map((i) => i.id).filter((id) => !tasks.some((t) => t.id === id));
  const props = body.properties ?? ['hs_task_subject'];
  return {
    status: missing.length ? 207 : 200,
    body: {
      status: 'COMPLETE', startedAt: now, completedAt: now,
      results: found.map((t) => ({ id: t.id, properties: Object.fromEntries(props.map((p) => [p, t.properties[p] ?? null])), createdAt: now, updatedAt: now, archived: false })),
      ...(missing.length ? { numErrors: 1, errors: [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: 'Could not get some TASK objects, they may be deleted or not exist.', context: { ids: missing } }] } : {}),
    },
  };
}

/** POST /crm/v3/objects/tasks/batch/update */
export function updateTasks(tasks: readonly SandboxTask[], body: { inputs: { id: string; properties: Record<string, string> }[] }, now: string): HsReply {
  if (body.inputs.length > 100) return { status: 400, body: { status: 'error', message: 'Batch input limit is 100', category: 'VALIDATION_ERROR' } };
  const unknownProperty = body.inputs.flatMap((i) => Object.keys(i.properties)).find((p) => !TASK_PROPERTIES.has(p));
  if (unknownProperty) return { status: 400, body: { status: 'error', message: `Property values were not valid: Property "${unknownProperty}" does not exist`, category: 'VALIDATION_ERROR' } };
  const missing = body.inputs.find((i) => !tasks.some((t) => t.id === i.id));
  if (missing) return { status: 404, body: { status: 'error', message: `resource not found: ${missing.id}`, category: 'OBJECT_NOT_FOUND' } };
  const results = body.inputs.map((i) => {
    const t = tasks.find((x) => x.id === i.id)!;
    Object.assign(t.properties, i.properties);
    return { id: t.id, properties: t.properties, createdAt: now, updatedAt: now, archived: false };
  });
  return { status: 200, body: { status: 'COMPLETE', startedAt: now, completedAt: now, results } };
}
