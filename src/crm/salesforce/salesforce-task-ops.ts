import type { Connection } from 'jsforce';
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
import { toTask, toTaskUpdate } from './salesforce-mapping.ts';
import { recordFailure, soqlId, type SaveResult } from './salesforce-save.ts';

const SALESFORCE_BATCH = 200;

/** What the task operations borrow from the adapter: its one way to call (quota, errors) and the business zone. */
export interface SalesforceCallIo {
  call<T>(tenant: Tenant, what: string, fn: (conn: Connection) => Promise<T>): Promise<T>;
  /** The zone of ActivityDate (the due day). */
  timezone: string;
}

/**
 * The adapter's Task operations (developer.salesforce.com … sforce_api_objects_task.htm): create
 * (never retried blindly), find again by marker, read status, update for the SLA escalation.
 */
export class SalesforceTasks {
  private readonly io: SalesforceCallIo;

  constructor(io: SalesforceCallIo) {
    this.io = io;
  }

  async create(tenant: Tenant, tasks: readonly TaskToCreate[]): Promise<TaskOutcome[]> {
    const tz = this.io.timezone;
    const pages = await Promise.all(
      chunks(tasks, SALESFORCE_BATCH).map(async (batch) => {
        const records = batch.map(({ task, contact }) => toTask(task, contact.id, tz));
        const results = (await this.io.call(tenant, 'create Tasks', (conn) =>
          conn.sobject('Task').create(records, { allOrNone: false }),
        )) as unknown as SaveResult[];
        return batch.map(({ task }, i): TaskOutcome => {
          const r = results[i];
          if (r?.success && r.id) return { key: task.key, ok: true, taskId: r.id };
          return { key: task.key, ok: false, ...recordFailure(r) };
        });
      }),
    );
    return pages.flat();
  }

  async read(tenant: Tenant, ids: readonly string[]): Promise<Map<string, CrmTask>> {
    const out = new Map<string, CrmTask>();
    type Row = { Id: string; IsClosed: boolean | null; OwnerId: string | null; Description: string | null };
    for (const batch of chunks(ids, SALESFORCE_BATCH)) {
      const soql = `SELECT Id, IsClosed, OwnerId, Description FROM Task WHERE Id IN (${batch.map(soqlId).join(', ')})`;
      const result = await this.io.call(tenant, 'read Tasks', async (conn) => await conn.query<Row>(soql));
      for (const r of result.records)
        out.set(r.Id, { id: r.Id, open: r.IsClosed !== true, ownerId: r.OwnerId, body: r.Description ?? '' });
    }
    return out;
  }

  async update(tenant: Tenant, updates: readonly TaskUpdate[]): Promise<WriteOutcome[]> {
    const outcomes = new Map<string, WriteOutcome>();
    for (const batch of chunks(updates, SALESFORCE_BATCH)) {
      const records = batch.map(toTaskUpdate) as { Id: string }[];
      const results = (await this.io.call(tenant, 'update Tasks', (conn) =>
        conn.sobject('Task').update(records, { allOrNone: false }),
      )) as unknown as SaveResult[];
      batch.forEach((u, i) => {
        const r = results[i];
        outcomes.set(u.id, r?.success ? { id: u.id, ok: true } : { id: u.id, ok: false, ...recordFailure(r) });
      });
    }
    return updates.map((u) => outcomes.get(u.id) ?? { id: u.id, ok: true });
  }

  /**
   * Tasks with our markers among the Tasks of these Leads/Contacts created since `since`: one SOQL
   * query per 200 WhoIds. (Description is a long text area, which SOQL cannot filter on.)
   */
  async find(tenant: Tenant, tasks: readonly TaskToFind[], since: Date): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const wanted = new Set(tasks.map((t) => t.key));
    const whoIds = [...new Set(tasks.map((t) => t.contact.id))];
    for (const batch of chunks(whoIds, SALESFORCE_BATCH)) {
      const soql = `SELECT Id, Description FROM Task WHERE WhoId IN (${batch.map(soqlId).join(', ')}) AND CreatedDate >= ${since.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
      const result = await this.io.call(
        tenant,
        'find Tasks',
        async (conn) =>
          await conn.query<{ Id: string; Description: string | null }>(soql, { autoFetch: true, maxFetch: 10_000 }),
      );
      for (const r of result.records) {
        const key = markerKey(r.Description);
        if (key && wanted.has(key)) out.set(key, r.Id);
      }
    }
    return out;
  }
}
