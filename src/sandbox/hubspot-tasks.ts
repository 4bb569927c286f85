import type { HsReply, SandboxTask } from './hubspot-face.ts';

// The task batch endpoints as HubSpot documents them (developers.hubspot.com/docs/api-reference/crm-tasks-v3):
// a read answers 207 with OBJECT_NOT_FOUND for ids it does not have; an update of an unknown id fails the call.

const TASK_PROPERTIES = new Set([
  'hs_task_body',
  'hs_task_priority',
  'hs_task_status',
  'hubspot_owner_id',
  'hs_task_subject',
  'hs_timestamp',
  'hs_task_type',
]);

/** POST /crm/v3/objects/tasks/batch/read */
export function readTasks(
  tasks: readonly SandboxTask[],
  body: { inputs: { id: string }[]; properties?: string[] },
  now: string,
): HsReply {
  if (body.inputs.length > 100)
    return {
      status: 400,
      body: { status: 'error', message: 'Batch input limit is 100', category: 'VALIDATION_ERROR' },
    };
  const found = body.inputs.map((i) => tasks.find((t) => t.id === i.id)).filter((t): t is SandboxTask => Boolean(t));
  const missing = body.inputs.map((i) => i.id).filter((id) => !tasks.some((t) => t.id === id));
  const props = body.properties ?? ['hs_task_subject'];
  return {
    status: missing.length ? 207 : 200,
    body: {
      status: 'COMPLETE',
      startedAt: now,
      completedAt: now,
      results: found.map((t) => ({
        id: t.id,
        properties: Object.fromEntries(props.map((p) => [p, t.properties[p] ?? null])),
        createdAt: now,
        updatedAt: now,
        archived: false,
      })),
      ...(missing.length
        ? {
            numErrors: 1,
            errors: [
              {
                status: 'error',
                category: 'OBJECT_NOT_FOUND',
                message: 'Could not get some TASK objects, they may be deleted or not exist.',
                context: { ids: missing },
              },
            ],
          }
        : {}),
    },
  };
}

/** POST /crm/v3/objects/tasks/batch/update */
export function updateTasks(
  tasks: readonly SandboxTask[],
  body: { inputs: { id: string; properties: Record<string, string> }[] },
  now: string,
): HsReply {
  if (body.inputs.length > 100)
    return {
      status: 400,
      body: { status: 'error', message: 'Batch input limit is 100', category: 'VALIDATION_ERROR' },
    };
  const unknownProperty = body.inputs.flatMap((i) => Object.keys(i.properties)).find((p) => !TASK_PROPERTIES.has(p));
  if (unknownProperty)
    return {
      status: 400,
      body: {
        status: 'error',
        message: `Property values were not valid: Property "${unknownProperty}" does not exist`,
        category: 'VALIDATION_ERROR',
      },
    };
  const missing = body.inputs.find((i) => !tasks.some((t) => t.id === i.id));
  if (missing)
    return {
      status: 404,
      body: { status: 'error', message: `resource not found: ${missing.id}`, category: 'OBJECT_NOT_FOUND' },
    };
  const results = body.inputs.map((i) => {
    const t = tasks.find((x) => x.id === i.id)!;
    Object.assign(t.properties, i.properties);
    return { id: t.id, properties: t.properties, createdAt: now, updatedAt: now, archived: false };
  });
  return { status: 200, body: { status: 'COMPLETE', startedAt: now, completedAt: now, results } };
}

const tooMany = (n: number): HsReply | null =>
  n > 100
    ? { status: 400, body: { status: 'error', message: 'Batch input limit is 100', category: 'VALIDATION_ERROR' } }
    : null;

/** POST /crm/v3/objects/tasks and …/batch/create (the task → contact association, type 204). */
export function createTasks(
  tasks: SandboxTask[],
  inputs: any[],
  batch: boolean,
  nextId: () => string,
  now: string,
): HsReply {
  const limit = tooMany(inputs.length);
  if (limit) return limit;
  // With objectWriteTraceId on every input a batch is multi-status (207): valid inputs are
  // created, each invalid one reported; without, one invalid input fails the whole batch.
  const invalid = (i: { properties: Record<string, string> }) => !i.properties?.['hs_timestamp'];
  const traced = batch && inputs.every((i: { objectWriteTraceId?: string }) => i.objectWriteTraceId);
  if (!traced && inputs.some(invalid)) {
    return {
      status: 400,
      body: {
        status: 'error',
        message: 'Property values were not valid: hs_timestamp is required',
        category: 'VALIDATION_ERROR',
      },
    };
  }
  const errors = traced
    ? inputs.filter(invalid).map((i: { objectWriteTraceId: string }) => ({
        status: 'error',
        category: 'VALIDATION_ERROR',
        message: 'Property values were not valid: hs_timestamp is required',
        context: { objectWriteTraceId: [i.objectWriteTraceId] },
      }))
    : [];
  const created = inputs
    .filter((i: { properties: Record<string, string> }) => !invalid(i))
    .map(
      (i: {
        properties: Record<string, string>;
        associations: { to: { id: string }; types: { associationTypeId: number }[] }[];
      }) => {
        const task = {
          id: String(nextId()),
          properties: { ...i.properties, hs_createdate: String(Date.now()) },
          contactIds: (i.associations ?? [])
            .filter((a) => a.types.some((t) => t.associationTypeId === 204))
            .map((a) => a.to.id),
        };
        tasks.push(task);
        return { id: task.id, properties: task.properties, createdAt: now, updatedAt: now, archived: false };
      },
    );
  if (errors.length)
    return {
      status: 207,
      body: {
        status: 'COMPLETE',
        startedAt: now,
        completedAt: now,
        results: created,
        numErrors: errors.length,
        errors,
      },
    };
  return batch
    ? { status: 201, body: { status: 'COMPLETE', startedAt: now, completedAt: now, results: created } }
    : { status: 201, body: created[0] };
}

/**
 * The two searches leadstage makes: by contact (`associations.contact EQ`), and by creation time
 * (`hs_createdate GTE`, sorted ascending, 200 per page with `after`), as HubSpot's search API.
 */
export function searchTasks(
  tasks: readonly SandboxTask[],
  body: {
    filterGroups?: { filters?: { propertyName: string; operator: string; value: string }[] }[];
    limit?: number;
    after?: string;
  },
): HsReply {
  const filters = body.filterGroups?.[0]?.filters ?? [];
  const limit = Math.min(200, body.limit ?? 10);
  let rows = tasks;
  for (const f of filters) {
    if (f.propertyName === 'associations.contact' && f.operator === 'EQ')
      rows = rows.filter((t) => t.contactIds.includes(f.value));
    else if (f.propertyName === 'hs_createdate' && f.operator === 'GTE')
      rows = rows.filter((t) => Number(t.properties['hs_createdate']) >= Number(f.value));
    else
      return {
        status: 400,
        body: {
          status: 'error',
          message: `sandbox: unsupported filter ${f.propertyName} ${f.operator}`,
          category: 'VALIDATION_ERROR',
        },
      };
  }
  const start = Number(body.after ?? 0);
  const page = rows.slice(start, start + limit);
  const results = page.map((t) => ({
    id: t.id,
    properties: { hs_task_body: t.properties['hs_task_body'], hs_createdate: t.properties['hs_createdate'] },
  }));
  const next = start + limit < rows.length ? { paging: { next: { after: String(start + limit) } } } : {};
  return { status: 200, body: { total: rows.length, results, ...next } };
}
