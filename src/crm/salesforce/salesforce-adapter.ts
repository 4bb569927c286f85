import type { Connection } from 'jsforce';
import type { CrmObjectMapping, LeadstageConfig } from '../../core/model.ts';
import type { ContactSnapshot, CrmObjectType } from '../../core/types.ts';
import type { Tenant } from '../../platform/tenant.ts';
import { mappingFor } from '../../core/crm-mapping.ts';
import { CrmRateLimitedError, CrmRejectedError, CrmTransientError } from '../../platform/crm-errors.ts';
import { classifySalesforceError } from './salesforce-errors.ts';
import {
  chunks,
  type ContactPage,
  type ContactRefById,
  type CrmTask,
  type TaskToFind,
  type TaskUpdate,
  type ContactWrite,
  type CrmOwner,
  type CrmPort,
  type TaskOutcome,
  type TaskToCreate,
  type WriteOutcome,
} from '../../platform/crm-port.ts';
import { withDeadline } from '../../platform/deadline.ts';
import type { TenantRateLimiter } from '../../store/rate-limiter.ts';
import { listModified, type ModifiedPage } from './salesforce-modified.ts';
import { SOBJECT, selectFields, TASK_PRIORITY, TASK_STATUS, toFields, toSnapshot } from './salesforce-mapping.ts';
import { recordFailure, soqlId, type SaveResult } from './salesforce-save.ts';
import { SalesforceTasks } from './salesforce-task-ops.ts';

export const SALESFORCE_BATCH = 200;
/** Records per listContacts page: SOQL's default batch size, one request each. */
export const SALESFORCE_LIST_PAGE = 2_000;
/** Sent on every update so our writes never trigger the org's lead/case assignment rules. */
export const NO_AUTO_ASSIGN = { 'Sforce-Auto-Assign': 'FALSE' };

export interface SalesforceAdapterOptions {
  config: LeadstageConfig;
  /** A jsforce connection for the org (it refreshes its token on 401 when given the OAuth client). */
  connection: (tenant: Tenant) => Promise<Connection>;
  limiter: TenantRateLimiter;
  /** A call that has not answered after this long fails as transient (default 30 s). */
  timeoutMs?: number;
}

/**
 * Salesforce Leads and Contacts through jsforce: SOQL reads, sObject Collections updates (≤ 200,
 * allOrNone false, per-record results) with Sforce-Auto-Assign: FALSE, Task creation. jsforce
 * does not retry POST/PATCH itself, which suits the task ledger.
 */
export class SalesforceAdapter implements CrmPort {
  readonly crm = 'salesforce' as const;
  readonly batchLimits = { list: SALESFORCE_LIST_PAGE, write: SALESFORCE_BATCH };
  private readonly opts: SalesforceAdapterOptions;
  private callCount = 0;
  private lastUsed = -1;
  private readonly tasks: SalesforceTasks;

  constructor(opts: SalesforceAdapterOptions) {
    if (!opts.config.crm['salesforce']) throw new Error('the config has no crm.salesforce mapping');
    this.opts = opts;
    this.tasks = new SalesforceTasks({
      call: (t, what, fn) => this.call(t, what, fn),
      timezone: opts.config.businessHours.timezone,
    });
  }

  get calls(): number {
    return this.callCount;
  }

  private has(objectType: CrmObjectType): boolean {
    return mappingFor(this.opts.config, { crm: 'salesforce', objectType }) !== undefined;
  }

  private mapping(objectType: CrmObjectType): CrmObjectMapping {
    const m = mappingFor(this.opts.config, { crm: 'salesforce', objectType });
    if (!m) throw new CrmRejectedError(400, `the config has no crm.salesforce.${objectType} mapping`);
    return m;
  }

  private async call<T>(tenant: Tenant, what: string, fn: (conn: Connection) => Promise<T>): Promise<T> {
    await this.opts.limiter.acquire(tenant);
    this.callCount += 1;
    const conn = await this.opts.connection(tenant);
    try {
      const result = await withDeadline(fn(conn), this.opts.timeoutMs ?? 30_000);
      const usage = conn.limitInfo?.apiUsage;
      if (usage && usage.used !== this.lastUsed) {
        this.lastUsed = usage.used;
        await this.opts.limiter.recordUsage(tenant, usage.used, usage.limit);
      }
      return result;
    } catch (err) {
      const classified = classifySalesforceError(err, what);
      if (classified instanceof CrmRateLimitedError) await this.opts.limiter.pause(tenant, classified.retryAfterMs);
      throw classified;
    }
  }

  /** Share of the org's rolling 24-hour API quota used, from the Sforce-Limit-Info header. */
  quotaShare(tenant: Tenant): Promise<number | null> {
    return this.opts.limiter.usageShare(tenant);
  }

  /** A malformed id is refused before any call (it would make the whole SOQL query fail). */
  rejectsId(ref: ContactRefById): string | null {
    return /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(ref.id) ? null : `not a Salesforce id: ${ref.id.slice(0, 40)}`;
  }

  async readContacts(tenant: Tenant, refs: readonly ContactRefById[]): Promise<Map<string, ContactSnapshot>> {
    const out = new Map<string, ContactSnapshot>();
    for (const objectType of ['lead', 'contact'] as const) {
      const ids = [...new Set(refs.filter((r) => r.objectType === objectType).map((r) => r.id))];
      if (ids.length === 0) continue;
      const m = this.mapping(objectType);
      // Chunks of 200 go side by side; the shared limiter paces them.
      const results = await Promise.all(
        chunks(ids, SALESFORCE_BATCH).map((batch) => {
          const soql = `SELECT ${selectFields(m).join(', ')} FROM ${SOBJECT[objectType]} WHERE Id IN (${batch.map(soqlId).join(', ')})`;
          return this.call(
            tenant,
            `read ${SOBJECT[objectType]}s`,
            async (conn) =>
              await conn.query<Record<string, unknown>>(soql, { autoFetch: true, maxFetch: SALESFORCE_BATCH }),
          );
        }),
      );
      for (const result of results)
        for (const r of result.records) out.set(String(r['Id']), toSnapshot(objectType, r, m));
    }
    return out;
  }

  async writeContacts(tenant: Tenant, writes: readonly ContactWrite[]): Promise<WriteOutcome[]> {
    const outcomes = new Map<string, WriteOutcome>();
    for (const objectType of ['lead', 'contact'] as const) {
      const records = writes
        .filter((w) => w.objectType === objectType)
        .map((w) => ({ Id: w.id, ...toFields(w, this.mapping(objectType)) }))
        .filter((r) => Object.keys(r).length > 1);
      await Promise.all(
        chunks(records, SALESFORCE_BATCH).map(async (batch) => {
          let results: SaveResult[];
          try {
            results = (await this.call(tenant, `update ${SOBJECT[objectType]}s`, (conn) =>
              conn.sobject(SOBJECT[objectType]).update(batch, { allOrNone: false, headers: NO_AUTO_ASSIGN }),
            )) as unknown as SaveResult[];
          } catch (err) {
            // A call that failed as a whole fails its own records only: the other calls went through.
            if (!(
              err instanceof CrmRejectedError ||
              err instanceof CrmTransientError ||
              err instanceof CrmRateLimitedError
            ))
              throw err;
            for (const r of batch)
              outcomes.set(r.Id, {
                id: r.Id,
                ok: false,
                reason: err.message,
                retryable: !(err instanceof CrmRejectedError),
              });
            return;
          }
          batch.forEach((record, i) => {
            const r = results[i];
            if (r?.success) outcomes.set(record.Id, { id: record.Id, ok: true });
            else {
              outcomes.set(record.Id, { id: record.Id, ok: false, ...recordFailure(r) });
            }
          });
        }),
      );
    }
    return writes.map((w) => outcomes.get(w.id) ?? { id: w.id, ok: true });
  }

  /** Never retried blindly: the caller's task ledger decides. */
  createTasks(tenant: Tenant, tasks: readonly TaskToCreate[]): Promise<TaskOutcome[]> {
    return this.tasks.create(tenant, tasks);
  }

  readTasks(tenant: Tenant, ids: readonly string[]): Promise<Map<string, CrmTask>> {
    return this.tasks.read(tenant, ids);
  }

  updateTasks(tenant: Tenant, updates: readonly TaskUpdate[]): Promise<WriteOutcome[]> {
    return this.tasks.update(tenant, updates);
  }

  findTasks(tenant: Tenant, tasks: readonly TaskToFind[], since: Date): Promise<Map<string, string>> {
    return this.tasks.find(tenant, tasks, since);
  }

  async findByEmail(tenant: Tenant, emails: readonly string[]): Promise<Map<string, ContactRefById[]>> {
    const out = new Map<string, ContactRefById[]>();
    const quoted = [...new Set(emails.map((e) => e.toLowerCase()))].map(
      (e) => `'${e.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
    );
    for (const objectType of ['lead', 'contact'] as const) {
      if (!this.has(objectType)) continue;
      // Converted Leads live on as Contacts; only open Leads are scored as Leads.
      const extra = objectType === 'lead' ? ' AND IsConverted = false' : '';
      for (const batch of chunks(quoted, SALESFORCE_BATCH)) {
        const soql = `SELECT Id, Email FROM ${SOBJECT[objectType]} WHERE Email IN (${batch.join(', ')})${extra}`;
        const result = await this.call(
          tenant,
          `find ${SOBJECT[objectType]}s by e-mail`,
          async (conn) => await conn.query<{ Id: string; Email: string | null }>(soql),
        );
        for (const r of result.records) {
          const email = (r.Email ?? '').toLowerCase();
          if (email) out.set(email, [...(out.get(email) ?? []), { objectType, id: r.Id }]);
        }
      }
    }
    return out;
  }

  /**
   * Open Leads, then Contacts, 2,000 a page by keyset (`WHERE Id > :last ORDER BY Id LIMIT 2000`).
   * The cursor is "lead:<last Id>" (or "contact:…"), a plain value: a crashed rescore resumes from it
   * hours later, where a queryMore locator would have expired. One request per page: when Salesforce
   * answers in a smaller batch (done: false), the next page starts after the last Id received.
   */
  async listContacts(tenant: Tenant, page: { cursor: string | null }): Promise<ContactPage> {
    const types = (['lead', 'contact'] as const).filter((t) => this.has(t));
    const at = page.cursor ? /^(lead|contact):(\w*)$/.exec(page.cursor) : null;
    if (page.cursor && !at)
      throw new CrmRejectedError(400, `not a Salesforce list cursor: ${page.cursor.slice(0, 40)}`);
    const objectType = (at?.[1] as 'lead' | 'contact' | undefined) ?? types[0];
    if (!objectType || !types.includes(objectType)) return { contacts: [], next: null };
    const m = this.mapping(objectType);
    const where = [
      ...(objectType === 'lead' ? ['IsConverted = false'] : []),
      ...(at?.[2] ? [`Id > ${soqlId(at[2])}`] : []),
    ];
    const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const soql = `SELECT ${selectFields(m).join(', ')} FROM ${SOBJECT[objectType]}${filter} ORDER BY Id ASC LIMIT ${SALESFORCE_LIST_PAGE}`;
    const result = await this.call(
      tenant,
      `list ${SOBJECT[objectType]}s`,
      async (conn) => await conn.query<Record<string, unknown>>(soql, { autoFetch: false }),
    );
    const last = result.records.at(-1)?.['Id'];
    const more = last !== undefined && (!result.done || result.records.length >= SALESFORCE_LIST_PAGE);
    const after = types[types.indexOf(objectType) + 1];
    const next = more ? `${objectType}:${String(last)}` : after ? `${after}:` : null;
    return { contacts: result.records.map((r) => toSnapshot(objectType, r, m)), next };
  }

  /** Open Leads plus Contacts: one `SELECT COUNT()` per object type. */
  async countContacts(tenant: Tenant): Promise<number> {
    let n = 0;
    for (const objectType of (['lead', 'contact'] as const).filter((t) => this.has(t))) {
      const soql = `SELECT COUNT() FROM ${SOBJECT[objectType]}${objectType === 'lead' ? ' WHERE IsConverted = false' : ''}`;
      n += (await this.call(tenant, `count ${SOBJECT[objectType]}s`, async (conn) => await conn.query(soql))).totalSize;
    }
    return n;
  }

  /** Leads and Contacts by SystemModstamp, oldest first (the reconciliation sweep; see salesforce-modified.ts). */
  listModifiedSince(tenant: Tenant, since: Date, maxRecords: number): AsyncIterable<ModifiedPage> {
    const types = (['lead', 'contact'] as const)
      .filter((t) => this.has(t))
      .map((objectType) => ({ objectType, m: this.mapping(objectType) }));
    return listModified(
      types,
      since,
      maxRecords,
      async (objectType, soql) =>
        (
          await this.call(
            tenant,
            `list modified ${SOBJECT[objectType]}s`,
            async (conn) => await conn.query<Record<string, unknown>>(soql),
          )
        ).records,
    );
  }

  async listOwners(tenant: Tenant): Promise<CrmOwner[]> {
    const ids = this.opts.config.assignment.owners
      .map((o) => o.ids['salesforce'])
      .filter((x): x is string => Boolean(x));
    if (ids.length === 0) return [];
    const soql = `SELECT Id, IsActive FROM User WHERE Id IN (${ids.map(soqlId).join(', ')})`;
    const result = await this.call(
      tenant,
      'list Users',
      async (conn) => await conn.query<{ Id: string; IsActive: boolean }>(soql),
    );
    return result.records.map((u) => ({ id: u.Id, active: u.IsActive }));
  }

  /** The Task values leadstage writes (Status, Priority) must be active values of the org's picklists. */
  private async checkTaskPicklists(tenant: Tenant): Promise<string[]> {
    const d = await this.call(tenant, 'describe Task', (conn) => conn.sobject('Task').describe());
    const problems: string[] = [];
    for (const [field, values, path] of [
      ['Status', [TASK_STATUS], 'tasks (Status)'],
      ['Priority', Object.values(TASK_PRIORITY), 'tasks[].priority'],
    ] as const) {
      const f = d.fields.find((x) => x.name === field);
      if (!f || f.type !== 'picklist') continue;
      const active = (f.picklistValues ?? []).filter((p) => p.active).map((p) => p.value);
      for (const v of values) {
        if (!active.includes(v))
          problems.push(
            `${path}: "${v}" is not an active value of Task.${field} in this org (it has: ${active.join(', ')})`,
          );
      }
    }
    return problems;
  }

  /**
   * Check at start that every configured field exists on Lead/Contact and that mapped picklist
   * values exist, so a typo stops the worker with a clear message instead of failing a write later.
   */
  async validateSchema(tenant: Tenant): Promise<string[]> {
    const problems: string[] = [];
    for (const objectType of ['lead', 'contact'] as const) {
      if (!this.has(objectType)) continue;
      const m = this.mapping(objectType);
      const d = await this.call(tenant, `describe ${SOBJECT[objectType]}`, (conn) =>
        conn.sobject(SOBJECT[objectType]).describe(),
      );
      const fields = new Map(d.fields.map((f) => [f.name, f]));
      const where = `crm.salesforce.${objectType}`;
      for (const [canonical, path] of Object.entries(m.fields)) {
        const name = path.split('.')[0]!;
        const field = path.includes('.') ? d.fields.find((f) => f.relationshipName === name) : fields.get(name);
        if (!field) problems.push(`${where}.fields.${canonical}: ${SOBJECT[objectType]} has no field ${path}`);
      }
      for (const [what, name] of Object.entries(m.write)) {
        if (typeof name === 'string' && !fields.has(name))
          problems.push(`${where}.write.${what}: ${SOBJECT[objectType]} has no field ${name}`);
      }
      const picklist = (name: string | undefined, values: Record<string, string>, key: string) => {
        const f = name ? fields.get(name) : undefined;
        if (!f || f.type !== 'picklist') return;
        const allowed = new Set((f.picklistValues ?? []).filter((p) => p.active).map((p) => p.value));
        for (const [ours, theirs] of Object.entries(values)) {
          if (!allowed.has(theirs))
            problems.push(
              `${where}.${key}.${ours}: "${theirs}" is not an active value of ${SOBJECT[objectType]}.${name} (it has: ${[...allowed].join(', ')})`,
            );
        }
      };
      picklist(m.write.stage, m.stageValues, 'stageValues');
      picklist(m.write.leadStatus, m.leadStatusValues, 'leadStatusValues');
    }
    problems.push(...(await this.checkTaskPicklists(tenant)));
    return problems;
  }
}
