import type { Client } from '@hubspot/api-client';
import { CrmRejectedError, isRetryable } from '../../platform/crm-errors.ts';
import {
  chunks,
  markerKey,
  type CrmTask,
  type TaskOutcome,
  type TaskToCreate,
  type TaskToFind,
  type TaskUpdate,
  type WriteOutcome,
} from '../../platform/crm-port.ts';
import type { Tenant } from '../../platform/tenant.ts';
import {
  searchSince,
  TASK_VIEW_PROPERTIES,
  taskInput,
  taskUpdateInput,
  taskView,
  tasksOfContact,
} from './hubspot-requests.ts';

const HUBSPOT_BATCH = 100;
/** Pages of the creation-date search before falling back to per-contact lookups. */
const MAX_FIND_PAGES = 10;

interface BatchError {
  category?: string;
  message?: string;
  context?: Record<string, string[]>;
}

/** What the task operations borrow from the adapter: its SDK client and its one way to call (quota, retries, errors). */
export interface HubSpotCallIo {
  client(tenant: Tenant): Promise<Client>;
  call<T>(
    tenant: Tenant,
    what: string,
    fn: () => Promise<{ data: T; headers?: Record<string, string> }>,
    idempotent?: boolean,
  ): Promise<T>;
}

/**
 * The adapter's task operations (developers.hubspot.com/docs/api-reference/crm-tasks-v3): create
 * once (never retried blindly), find again by marker, read status, update (notes, priority, owner,
 * completion) for the SLA escalation.
 */
export class HubSpotTasks {
  private readonly io: HubSpotCallIo;

  constructor(io: HubSpotCallIo) {
    this.io = io;
  }

  async read(tenant: Tenant, ids: readonly string[]): Promise<Map<string, CrmTask>> {
    const client = await this.io.client(tenant);
    const out = new Map<string, CrmTask>();
    for (const batch of chunks(ids, HUBSPOT_BATCH)) {
      // Missing ids come back as a 207 with OBJECT_NOT_FOUND: absent from the map, as the port says.
      const data = await this.io.call(tenant, 'read tasks', () =>
        client.crm.objects.tasks.batchApi.readWithHttpInfo(
          { inputs: batch.map((id) => ({ id })), properties: TASK_VIEW_PROPERTIES, propertiesWithHistory: [] },
          false,
        ),
      );
      for (const r of data.results) out.set(r.id, taskView(r));
    }
    return out;
  }

  async update(tenant: Tenant, updates: readonly TaskUpdate[]): Promise<WriteOutcome[]> {
    const client = await this.io.client(tenant);
    const failed = new Map<string, WriteOutcome>();
    for (const batch of chunks(updates, HUBSPOT_BATCH)) {
      try {
        await this.io.call(tenant, 'update tasks', () =>
          client.crm.objects.tasks.batchApi.updateWithHttpInfo({ inputs: batch.map(taskUpdateInput) }),
        );
      } catch (err) {
        if (!(err instanceof CrmRejectedError)) throw err;
        for (const u of batch) failed.set(u.id, { id: u.id, ok: false, reason: err.message, retryable: false });
      }
    }
    return updates.map((u) => failed.get(u.id) ?? { id: u.id, ok: true });
  }

  async create(tenant: Tenant, tasks: readonly TaskToCreate[]): Promise<TaskOutcome[]> {
    if (tasks.length === 0) return [];
    const client = await this.io.client(tenant); // never retried blindly: see the task ledger
    const inputs = tasks.map(({ task, contact }) => taskInput(task, contact));
    const outcomes = new Map<string, TaskOutcome>();
    await Promise.all(
      chunks(inputs, HUBSPOT_BATCH).map(async (batch) => {
        try {
          const data = await this.io.call(
            tenant,
            'create tasks',
            () =>
              batch.length === 1
                ? client.crm.objects.tasks.basicApi
                    .createWithHttpInfo({ properties: batch[0]!.properties, associations: batch[0]!.associations })
                    .then((r) => ({ headers: r.headers, data: { results: [r.data] } }))
                : client.crm.objects.tasks.batchApi.createWithHttpInfo({ inputs: batch }),
            false,
          );
          // Batch results come in any order: match them by the marker in the body.
          for (const r of data.results) {
            const key = markerKey(r.properties['hs_task_body']);
            if (key) outcomes.set(key, { key, ok: true, taskId: r.id });
          }
          for (const e of (data as { errors?: BatchError[] }).errors ?? []) {
            const reason = `${e.category ?? 'ERROR'}: ${e.message ?? ''}`.trim();
            for (const key of e.context?.['objectWriteTraceId'] ?? [])
              outcomes.set(key, {
                key,
                ok: false,
                reason,
                retryable: isRetryable({ code: e.category, message: reason }),
              });
          }
        } catch (err) {
          if (!(err instanceof CrmRejectedError)) throw err;
          for (const input of batch) {
            const key = markerKey(input.properties.hs_task_body)!;
            outcomes.set(key, { key, ok: false, reason: err.message, retryable: false });
          }
        }
      }),
    );
    return tasks.map(
      ({ task }) =>
        outcomes.get(task.key) ?? {
          key: task.key,
          ok: false,
          reason: 'HubSpot returned no result for this task',
          retryable: true,
        },
    );
  }

  /**
   * Tasks with our markers created since `since`: one search sorted by creation date, paged
   * (200 per page) until every key is found — a retried batch costs a page or two, not a search per
   * task. Past MAX_FIND_PAGES (a portal where people create thousands of tasks a minute), the rest
   * are looked up per contact.
   */
  async find(tenant: Tenant, tasks: readonly TaskToFind[], since: Date): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (tasks.length === 0) return out;
    const wanted = new Set(tasks.map((t) => t.key));
    const client = await this.io.client(tenant);
    let after: string | undefined;
    for (let page = 0; page < MAX_FIND_PAGES && out.size < wanted.size; page++) {
      const data = await this.io.call(tenant, 'search tasks', () =>
        client.crm.objects.tasks.searchApi.doSearchWithHttpInfo(
          searchSince('hs_createdate', since, ['hs_task_body'], after),
        ),
      );
      for (const r of data.results) {
        const key = markerKey(r.properties['hs_task_body']);
        if (key && wanted.has(key)) out.set(key, r.id);
      }
      after = data.paging?.next?.after;
      if (!after) return out;
    }
    for (const t of tasks.filter((x) => !out.has(x.key))) {
      const data = await this.io.call(tenant, 'search tasks', () =>
        client.crm.objects.tasks.searchApi.doSearchWithHttpInfo(tasksOfContact(t.contact.id)),
      );
      const hit = data.results.find((r) => markerKey(r.properties['hs_task_body']) === t.key);
      if (hit) out.set(t.key, hit.id);
    }
    return out;
  }
}
