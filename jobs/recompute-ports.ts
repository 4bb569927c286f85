import type { Activity, ContactSnapshot } from '../src/core/types.ts';
import type { AfterPlan } from '../src/store/decay-store.ts';
import type { Tenant } from '../src/platform/tenant.ts';
import type { NewDeadLetter } from '../src/store/dead-letters.ts';
import type { LedgerEntry } from '../src/store/score-ledger.ts';
import type { RotationSnapshot, TaskClaim, TaskClaimRequest } from '../src/store/worker-store.ts';

/**
 * What the recompute use case needs of its state, as the use case sees it. The Redis stores
 * implement these; test/fakes has in-process versions that pass the same contract tests.
 */
export interface BatchState {
  /** Up to `n` pending members ("objectType:id") moved to in-flight, or a crashed batch resumed. */
  takeBatch(tenant: Tenant, n: number): Promise<string[]>;
  finish(tenant: Tenant, members: readonly string[]): Promise<void>;
  pendingCount(tenant: Tenant): Promise<number>;
  /** Ids whose contact was deleted (tombstoned). */
  gone(tenant: Tenant, ids: readonly string[]): Promise<Set<string>>;
}

/** The task idempotency ledger: a task key is created in the CRM at most once. */
export interface TaskLedger {
  claimTasks(
    tenant: Tenant,
    requests: readonly TaskClaimRequest[],
    token: string,
    now: Date,
  ): Promise<Map<string, TaskClaim>>;
  confirmTask(tenant: Tenant, key: string, taskId: string, ownerId: string | null): Promise<void>;
  releaseTask(tenant: Tenant, key: string): Promise<void>;
}

/** Owner rotation per tenant, shared by all workers (compare-and-set), and stage-entry counts. */
export interface RotationState {
  loadRotation(tenant: Tenant, poolIds: readonly string[]): Promise<RotationSnapshot>;
  commitRotation(tenant: Tenant, poolId: string, version: string, credits: Record<string, number>): Promise<boolean>;
  stageEntries(tenant: Tenant, ids: readonly string[]): Promise<Map<string, Record<string, number>>>;
  recordEntries(tenant: Tenant, entries: readonly { id: string; stage: string }[]): Promise<void>;
}

export type RecomputeStore = BatchState & TaskLedger & RotationState;

export interface ActivityReader {
  activitiesMany(tenant: Tenant, ids: readonly string[], nowMs: number): Promise<Map<string, Activity[]>>;
}

export interface DeadLetterSink {
  add(tenant: Tenant, letters: readonly NewDeadLetter[], now: Date): Promise<void>;
}

/** The score ledger (see src/store/score-ledger.ts): a bounded history of each contact's changes. */
export interface ScoreHistory {
  append(tenant: Tenant, entries: readonly { id: string; entry: LedgerEntry }[]): Promise<void>;
}

/** Decay's schedule and the contacts' last known state (see src/store/decay-store.ts). */
export interface DecayState {
  record(tenant: Tenant, entries: readonly AfterPlan[]): Promise<void>;
  due(tenant: Tenant, nowMs: number, n: number): Promise<string[]>;
  snapshots(tenant: Tenant, ids: readonly string[]): Promise<Map<string, ContactSnapshot>>;
  unschedule(tenant: Tenant, members: readonly string[]): Promise<void>;
}
