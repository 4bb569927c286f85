import type { ContactSnapshot, CrmKind, CrmObjectType, PlanChanges, PlannedTask } from '../core/types.ts';
import type { Tenant } from './tenant.ts';

export interface ContactRefById {
  objectType: CrmObjectType;
  id: string;
}

/** What to write for one contact: the plan's changes, plus where the stage moves from. */
export interface ContactWrite {
  objectType: CrmObjectType;
  id: string;
  changes: PlanChanges;
  /** The stage the CRM holds now (leadstage name), for CRMs where going back takes two steps. */
  fromStage: string | null;
  /** When leadstage scored it (written to the "last scored at" field when anything else changes). */
  scoredAt: Date;
}

/** A record the CRM refused: why (its code and message), and whether trying again can help. */
export interface RecordFailure {
  ok: false;
  reason: string;
  retryable: boolean;
}

export type WriteOutcome = { id: string; ok: true } | ({ id: string } & RecordFailure);

export interface TaskToCreate {
  task: PlannedTask;
  contact: ContactRefById;
}

export interface TaskToFind {
  key: string;
  contact: ContactRefById;
}

export type TaskOutcome = { key: string; ok: true; taskId: string } | ({ key: string } & RecordFailure);

/** A follow-up task as the CRM shows it now (the SLA escalation reads these). */
export interface CrmTask {
  id: string;
  /** Not completed (HubSpot hs_task_status ≠ COMPLETED; Salesforce IsClosed false). */
  open: boolean;
  ownerId: string | null;
  /** The body as stored (it carries the task's marker and earlier notes). */
  body: string;
}

/** A change to a task leadstage created: a new body (with a note), priority, owner, or closing it. */
export interface TaskUpdate {
  id: string;
  body?: string;
  priority?: PlannedTask['priority'];
  ownerId?: string;
  /** Complete the task (the body says why). */
  close?: boolean;
}

/** A page of listContacts: the contacts, and the cursor of the next page (null: this was the last). */
export interface ContactPage {
  contacts: ContactSnapshot[];
  next: string | null;
}

export interface CrmOwner {
  id: string;
  active: boolean;
}

/**
 * The one CRM-neutral port the jobs use; the HubSpot and Salesforce adapters implement it. Reads
 * and writes are batched by the adapter (HubSpot 100, Salesforce 200 per call). Expected failures
 * of a whole call throw the errors in crm-errors.ts; per-record failures come back as outcomes.
 */
export interface CrmPort {
  readonly crm: CrmKind;
  /** Why this id can never be a record of this CRM (a malformed id), or null: checked before any call. */
  rejectsId?(ref: ContactRefById): string | null;
  /** Contacts by id, mapped to snapshots; ids the CRM does not have are absent from the map. */
  readContacts(tenant: Tenant, refs: readonly ContactRefById[]): Promise<Map<string, ContactSnapshot>>;
  /** Write only the given changes. */
  writeContacts(tenant: Tenant, writes: readonly ContactWrite[]): Promise<WriteOutcome[]>;
  /** Create follow-up tasks; never retried blindly (the caller holds an idempotency ledger). */
  createTasks(tenant: Tenant, tasks: readonly TaskToCreate[]): Promise<TaskOutcome[]>;
  /**
   * Tasks created earlier with these idempotency keys, if the CRM has them (after a crash or a lost
   * answer): key → task id. Batch-sized: a few calls for a whole batch, never one per task.
   * `since`: no task of these keys can be older (the earliest claim, minus clock skew).
   */
  findTasks(tenant: Tenant, tasks: readonly TaskToFind[], since: Date): Promise<Map<string, string>>;
  /** Tasks by id, as the CRM shows them now; ids the CRM does not have are absent. Batch-sized. */
  readTasks(tenant: Tenant, ids: readonly string[]): Promise<Map<string, CrmTask>>;
  /** Update tasks (a note, priority, owner, close): an update is idempotent, so it is retried like writes. */
  updateTasks(tenant: Tenant, updates: readonly TaskUpdate[]): Promise<WriteOutcome[]>;
  /** Contacts (and Salesforce Leads) whose e-mail is one of these, lower-cased address → refs. */
  findByEmail(tenant: Tenant, emails: readonly string[]): Promise<Map<string, ContactRefById[]>>;
  /**
   * One page of every contact of the account (Salesforce: open Leads, then Contacts), mapped as
   * readContacts maps them, and the cursor of the next page (null after the last). `cursor: null`
   * starts at the beginning. A cursor is a plain string that stays valid across processes and
   * hours (kept in Redis so a crashed rescore resumes), never a server-side locator that expires.
   */
  listContacts(tenant: Tenant, page: { cursor: string | null }): Promise<ContactPage>;
  /** How many contacts listContacts will go through (one cheap call; for progress and ETA). */
  countContacts?(tenant: Tenant): Promise<number>;
  /** Records per listContacts page and per writeContacts call (the floor of a full pass). */
  readonly batchLimits?: { list: number; write: number };
  /**
   * Contacts modified at or after `since`, oldest first, page by page, as snapshots with their
   * modified time (the reconciliation sweep). About `maxRecords` in one run, never ending inside a
   * run of records sharing one modified time (see toEndOfGroup); the caller resumes from the
   * newest modified time it saw.
   */
  listModifiedSince?(
    tenant: Tenant,
    since: Date,
    maxRecords: number,
  ): AsyncIterable<{ snapshot: ContactSnapshot; modifiedAt: number }[]>;
  /** Every owner the CRM knows, active or not. */
  listOwners(tenant: Tenant): Promise<CrmOwner[]>;
  /**
   * Share (0–1) of the account's daily API quota already used, where the CRM reports it
   * (Salesforce: Sforce-Limit-Info); null when unknown. Non-urgent work stops near the top.
   */
  quotaShare?(tenant: Tenant): Promise<number | null>;
  /** How many calls this adapter has made (for the per-batch log line and the benchmarks). */
  readonly calls: number;
}

/** The marker put into each task's body so a task can be found again by its idempotency key. */
export function taskMarker(key: string): string {
  return `[leadstage:${key}]`;
}

/** The idempotency key in a task body, if it carries our marker. */
export function markerKey(body: string | null | undefined): string | null {
  return /\[leadstage:([0-9a-f]+)\]/.exec(body ?? '')?.[1] ?? null;
}

/** Config-derived helpers shared by the adapters: leadstage names ↔ CRM values. */
export function reverse(map: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(map).map(([k, v]) => [v, k]));
}

/** Split a list into CRM-sized calls. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Oldest-first pages cut after about `max` records, but never inside a run of records that share
 * one modified time: the sweep's watermark is a time, so a run cut inside such a run (a mass update
 * stamps thousands of records with one second) could neither skip the rest nor get past them.
 */
export async function* toEndOfGroup<T extends { modifiedAt: number }>(
  pages: AsyncIterable<T[]>,
  max: number,
): AsyncIterable<T[]> {
  let seen = 0;
  let last: number | undefined;
  for await (const page of pages) {
    const out: T[] = [];
    for (const r of page) {
      if (seen >= max && r.modifiedAt !== last) {
        if (out.length) yield out;
        return;
      }
      out.push(r);
      seen += 1;
      last = r.modifiedAt;
    }
    if (out.length) yield out;
  }
}
