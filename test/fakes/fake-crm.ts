import type { ContactSnapshot } from '../../src/core/types.ts';
import { CrmRejectedError } from '../../src/platform/crm-errors.ts';
import {
  taskMarker,
  type ContactPage,
  type ContactRefById,
  type ContactWrite,
  type CrmOwner,
  type CrmPort,
  type RecordFailure,
  type CrmTask,
  type TaskOutcome,
  type TaskToCreate,
  type TaskToFind,
  type TaskUpdate,
  type WriteOutcome,
} from '../../src/platform/crm-port.ts';
import type { Tenant } from '../../src/platform/tenant.ts';

export interface FakeTask {
  id: string;
  key: string;
  contactId: string;
  subject: string;
  ownerId: string | null;
  body: string;
  priority: string;
  dueAt: string;
  open: boolean;
}

/**
 * An in-process CRM behind the CrmPort: contacts as snapshots, tasks, owners, and scripted
 * per-record refusals. Every port method counts as one call, as a batch call would.
 */
export class FakeCrm implements CrmPort {
  readonly crm: string;
  readonly contacts = new Map<string, ContactSnapshot>();
  readonly tasks: FakeTask[] = [];
  readonly writes: ContactWrite[] = [];
  owners: CrmOwner[] = [];
  /** Per record id: refuse its next writes (or its task) with this failure. */
  readonly refuseWrite = new Map<string, Omit<RecordFailure, 'ok'>>();
  readonly refuseTask = new Map<string, Omit<RecordFailure, 'ok'>>();
  /**
   * Throw this from the next createTasks call, as a 502 would: `before` creates nothing, `after`
   * creates the tasks and loses the answer (a proxy timed out while the CRM went on).
   */
  failNextTaskCall: { error: Error; when: 'before' | 'after' } | null = null;
  /** Ids that make a whole read call fail with 400, as a malformed id in a SOQL query does. */
  readonly poisonIds = new Set<string>();
  calls = 0;
  callLog: string[] = [];

  constructor(crm = 'hubspot') {
    this.crm = crm;
  }

  add(snapshot: Omit<ContactSnapshot, 'crm'>): void {
    this.contacts.set(snapshot.id, { crm: this.crm, ...snapshot });
  }

  private count(what: string): void {
    this.calls += 1;
    this.callLog.push(what);
  }

  async readContacts(_t: Tenant, refs: readonly ContactRefById[]): Promise<Map<string, ContactSnapshot>> {
    this.count('read');
    const poison = refs.find((r) => this.poisonIds.has(r.id));
    if (poison) throw new CrmRejectedError(400, `read contacts: MALFORMED_ID: ${poison.id}`);
    return new Map(
      refs.flatMap((r) => {
        const c = this.contacts.get(r.id);
        return c ? [[r.id, structuredClone(c)] as const] : [];
      }),
    );
  }

  async writeContacts(_t: Tenant, writes: readonly ContactWrite[]): Promise<WriteOutcome[]> {
    if (writes.length) this.count('write');
    return writes.map((w): WriteOutcome => {
      const refused = this.refuseWrite.get(w.id);
      if (refused) return { id: w.id, ok: false, ...refused };
      this.writes.push(w);
      const c = this.contacts.get(w.id)!;
      const ch = w.changes;
      if (ch.stage !== undefined) c.stage = ch.stage;
      if (ch.leadStatus !== undefined) c.leadStatus = ch.leadStatus;
      if (ch.ownerId !== undefined) c.ownerId = ch.ownerId;
      const was = c.scored ?? { score: null, grade: null, reasons: null };
      c.scored = { score: ch.score ?? was.score, grade: ch.grade ?? was.grade, reasons: ch.reasons ?? was.reasons };
      return { id: w.id, ok: true };
    });
  }

  async createTasks(_t: Tenant, tasks: readonly TaskToCreate[]): Promise<TaskOutcome[]> {
    if (tasks.length === 0) return [];
    this.count('create-tasks');
    const fail = this.failNextTaskCall;
    this.failNextTaskCall = null;
    if (fail?.when === 'before') throw fail.error;
    const outcomes = tasks.map(({ task, contact }): TaskOutcome => {
      const refused = this.refuseTask.get(contact.id);
      if (refused) return { key: task.key, ok: false, ...refused };
      const id = `task-${this.tasks.length + 1}`;
      this.tasks.push({
        id,
        key: task.key,
        contactId: contact.id,
        subject: task.subject,
        ownerId: task.ownerId,
        body: `${task.body}\n${taskMarker(task.key)}`,
        priority: task.priority,
        dueAt: task.dueAt,
        open: true,
      });
      return { key: task.key, ok: true, taskId: id };
    });
    if (fail) throw fail.error;
    return outcomes;
  }

  async readTasks(_t: Tenant, ids: readonly string[]): Promise<Map<string, CrmTask>> {
    if (ids.length) this.count('read-tasks');
    return new Map(
      this.tasks
        .filter((t) => ids.includes(t.id))
        .map((t) => [t.id, { id: t.id, open: t.open, ownerId: t.ownerId, body: t.body }]),
    );
  }

  async updateTasks(_t: Tenant, updates: readonly TaskUpdate[]): Promise<WriteOutcome[]> {
    if (updates.length) this.count('update-tasks');
    return updates.map((u): WriteOutcome => {
      const t = this.tasks.find((x) => x.id === u.id);
      if (!t) return { id: u.id, ok: false, reason: 'ENTITY_IS_DELETED: entity is deleted', retryable: false };
      if (u.body !== undefined) t.body = u.body;
      if (u.priority) t.priority = u.priority;
      if (u.ownerId) t.ownerId = u.ownerId;
      if (u.close) t.open = false;
      return { id: u.id, ok: true };
    });
  }

  async findTasks(_t: Tenant, tasks: readonly TaskToFind[]): Promise<Map<string, string>> {
    this.count('find-tasks');
    const out = new Map<string, string>();
    for (const { key, contact } of tasks) {
      const hit = this.tasks.find((t) => t.contactId === contact.id && t.body.includes(taskMarker(key)));
      if (hit) out.set(key, hit.id);
    }
    return out;
  }

  async findByEmail(_t: Tenant, emails: readonly string[]): Promise<Map<string, ContactRefById[]>> {
    this.count('find-by-email');
    const out = new Map<string, ContactRefById[]>();
    for (const c of this.contacts.values()) {
      const email = String(c.fields['email'] ?? '').toLowerCase();
      if (emails.includes(email)) out.set(email, [...(out.get(email) ?? []), { objectType: c.objectType, id: c.id }]);
    }
    return out;
  }

  /** Contacts per listContacts page (HubSpot 100, Salesforce 2,000) and per write call. */
  batchLimits = { list: 100, write: 100 };
  /** Throw this from listContacts once, after this many more pages (a crash mid-rescore). */
  failListAfter: { pages: number; error: Error } | null = null;

  /** Pages in insertion order; the cursor is the index of the page's first contact (a plain value). */
  async listContacts(_t: Tenant, page: { cursor: string | null }): Promise<ContactPage> {
    if (this.failListAfter && this.failListAfter.pages-- <= 0) {
      const { error } = this.failListAfter;
      this.failListAfter = null;
      throw error;
    }
    this.count('list');
    const all = [...this.contacts.values()];
    const start = Number(page.cursor ?? 0);
    const end = start + this.batchLimits.list;
    return {
      contacts: all.slice(start, end).map((c) => structuredClone(c)),
      next: end < all.length ? String(end) : null,
    };
  }

  async countContacts(): Promise<number> {
    this.count('count');
    return this.contacts.size;
  }

  async listOwners(): Promise<CrmOwner[]> {
    this.count('owners');
    return this.owners;
  }
}
