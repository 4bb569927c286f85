import type { Clock } from '../src/platform/clock.ts';
import { CrmRejectedError } from '../src/platform/crm-errors.ts';
import type { Logger } from '../src/platform/logger.ts';
import { tenantKey, type Tenant } from '../src/platform/tenant.ts';
import { parsePendingMember } from '../src/store/activity-store.ts';
import type { NewDeadLetter } from '../src/store/dead-letters.ts';
import { applyPlans, planSnapshots, type PlanApplyDeps } from './plan-and-apply.ts';

export interface RecomputeDeps extends PlanApplyDeps {
  clock: Clock;
  log: Logger;
  /** Contacts per batch; the adapter splits larger ones into CRM-sized calls (HubSpot 100, Salesforce 200). */
  batchSize: number;
}

export interface BatchSummary {
  tenant: string;
  contacts: number;
  written: number;
  unchanged: number;
  tasksCreated: number;
  tasksAlreadyThere: number;
  notFound: number;
  gone: number;
  /** Refused for good: in the dead-letter list, out of the batch. */
  deadLettered: { id: string; reason: string }[];
  /** The config version the batch was planned with. */
  configVersion?: string;
  /** Transient failures: still in flight, for the job's retry. */
  retry: { id: string; reason: string }[];
  crmCalls: number;
  morePending: boolean;
  ms: number;
}

function emptySummary(tenant: Tenant, contacts: number): BatchSummary {
  return {
    tenant: tenantKey(tenant),
    contacts,
    written: 0,
    unchanged: 0,
    tasksCreated: 0,
    tasksAlreadyThere: 0,
    notFound: 0,
    gone: 0,
    deadLettered: [],
    retry: [],
    crmCalls: 0,
    morePending: false,
    ms: 0,
  };
}

/**
 * Recompute one batch of a tenant's pending contacts: read them, plan each with its stored
 * activities, create the follow-up tasks through the idempotency ledger, then write only what
 * changed. Tasks go first: if the stage write then fails, the retry plans the same stage entry,
 * finds the task in the ledger, and does not create it again.
 *
 * Per-record failures are results, not exceptions: a record the CRM refuses for good goes to the
 * dead-letter list and leaves the batch; a transient one stays in flight and is listed in
 * `retry` (the BullMQ shell retries the job). Exceptions mean the whole call failed, or a bug.
 */
export async function recomputeTenant(tenant: Tenant, deps: RecomputeDeps): Promise<BatchSummary> {
  const started = deps.clock.now().getTime();
  const callsBefore = deps.crm.calls;
  // In a stable order (a Redis set has none): the same batch always gives the same owner picks.
  const members = (await deps.store.takeBatch(tenant, deps.batchSize)).sort();
  if (members.length === 0) return emptySummary(tenant, 0);
  const now = deps.clock.now();
  const summary = await applyIsolating(tenant, members, deps, now);
  if (deps.configVersion) summary.configVersion = deps.configVersion;

  const retryIds = new Set(summary.retry.map((f) => f.id));
  await deps.store.finish(
    tenant,
    members.filter((m) => !retryIds.has(parsePendingMember(m).id)),
  );
  summary.morePending = (await deps.store.pendingCount(tenant)) > 0;
  summary.crmCalls = deps.crm.calls - callsBefore;
  summary.ms = deps.clock.now().getTime() - started;
  const { deadLettered, retry, ...counts } = summary;
  deps.log.info({ ...counts, deadLettered: deadLettered.length, retry: retry.length }, 'recompute batch applied');
  return summary;
}

/**
 * A batch the CRM refuses as a whole request (400: a malformed id in a query, a value one record
 * carries) is split in halves until the record that causes it stands alone; that record is
 * dead-lettered and the rest are applied. So one bad record never blocks its batch or its
 * tenant, at the price of about 2·log2(n) extra calls per bad record. Other refusals (401, 403:
 * credentials, scopes) concern every record and fail the job instead.
 */
async function applyIsolating(
  tenant: Tenant,
  members: readonly string[],
  deps: RecomputeDeps,
  now: Date,
): Promise<BatchSummary> {
  try {
    return await applyBatch(tenant, members, deps, now);
  } catch (err) {
    if (!(err instanceof CrmRejectedError) || (err.status !== 400 && err.status !== 422)) throw err;
    if (members.length === 1) {
      const ref = parsePendingMember(members[0]!);
      await deps.deadLetters.add(
        tenant,
        [{ kind: 'contact', objectType: ref.objectType, id: ref.id, reason: err.message }],
        now,
      );
      return { ...emptySummary(tenant, 1), deadLettered: [{ id: ref.id, reason: err.message }] };
    }
    const half = Math.ceil(members.length / 2);
    const parts = [
      await applyIsolating(tenant, members.slice(0, half), deps, now),
      await applyIsolating(tenant, members.slice(half), deps, now),
    ];
    return mergeSummaries(tenant, parts);
  }
}

function mergeSummaries(tenant: Tenant, parts: BatchSummary[]): BatchSummary {
  const out = emptySummary(tenant, 0);
  for (const p of parts) {
    for (const k of [
      'contacts',
      'written',
      'unchanged',
      'tasksCreated',
      'tasksAlreadyThere',
      'notFound',
      'gone',
    ] as const)
      out[k] += p[k];
    out.deadLettered.push(...p.deadLettered);
    out.retry.push(...p.retry);
  }
  return out;
}

/** One batch: read, plan, tasks through the ledger, then the write of only what changed. */
async function applyBatch(
  tenant: Tenant,
  members: readonly string[],
  deps: RecomputeDeps,
  now: Date,
): Promise<BatchSummary> {
  const summary = emptySummary(tenant, members.length);
  const refs = members.map(parsePendingMember);
  const gone = await deps.store.gone(
    tenant,
    refs.map((r) => r.id),
  );
  summary.gone = gone.size;
  // A malformed id is dead-lettered before any call: it would make the whole read fail.
  const dead: NewDeadLetter[] = [];
  const live = refs.filter((r) => {
    if (gone.has(r.id)) return false;
    const bad = deps.crm.rejectsId?.(r);
    if (bad) dead.push({ kind: 'contact', objectType: r.objectType, id: r.id, reason: bad });
    return !bad;
  });
  const snapshots = live.length ? await deps.crm.readContacts(tenant, live) : new Map();
  const found = live.filter((r) => snapshots.has(r.id));
  summary.notFound = live.length - found.length;
  const planned = await planSnapshots(
    tenant,
    found.map((r) => snapshots.get(r.id)!),
    deps,
    now,
  );
  const applied = await applyPlans(tenant, planned, deps, now, dead);
  return { ...summary, ...applied };
}
