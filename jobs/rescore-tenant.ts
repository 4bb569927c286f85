import type { Clock } from '../src/platform/clock.ts';
import { CrmRateLimitedError } from '../src/platform/crm-errors.ts';
import type { ContactPage, ContactRefById } from '../src/platform/crm-port.ts';
import type { Logger } from '../src/platform/logger.ts';
import { tenantKey, type Tenant } from '../src/platform/tenant.ts';
import { applyPlans, planSnapshots, touchesCrm, type PlanApplyDeps, type PlannedContact } from './plan-and-apply.ts';

/** Where a rescore goes on after a crash: the page to read next, and the counts before it. */
export interface RescoreCheckpoint {
  cursor: string;
  read: number;
  changed: number;
}

/** The tenant's stored checkpoint (Redis in production: src/store/rescore-checkpoints.ts). */
export interface RescoreCheckpoints {
  get(tenant: Tenant): Promise<RescoreCheckpoint | null>;
  set(tenant: Tenant, checkpoint: RescoreCheckpoint): Promise<void>;
  clear(tenant: Tenant): Promise<void>;
}

export interface RescoreProgress {
  read: number;
  /** Contacts read before this run's checkpoint (a resumed run starts past 0). */
  readBefore: number;
  changed: number;
  pages: number;
  crmCalls: number;
  elapsedMs: number;
}

export interface RescoreDeps extends PlanApplyDeps {
  clock: Clock;
  checkpoints: RescoreCheckpoints;
  /** Contacts whose write failed transiently: handed to the live recompute (pending set + a job). */
  handOver: (tenant: Tenant, refs: readonly ContactRefById[]) => Promise<void>;
  /** Stop (keeping the checkpoint) once the account has used this share of its daily API quota. Default 0.8. */
  maxQuotaShare?: number;
  /** Ignore a stored checkpoint and start from the first page. */
  restart?: boolean;
  /** Called after every page. */
  onProgress?: (p: RescoreProgress) => void;
  /** Waits out a rate limit while listing (tests inject a fake). */
  sleep?: (ms: number) => Promise<void>;
  log?: Logger;
}

export interface RescoreSummary {
  tenant: string;
  /** Contacts read (including those before the checkpoint this run resumed from). */
  read: number;
  /** Contacts written because their values changed (likewise cumulative). */
  changed: number;
  unchanged: number;
  tasksCreated: number;
  deadLettered: number;
  /** Transient write failures handed to the live recompute. */
  handedOver: number;
  /** Tombstoned contacts skipped. */
  gone: number;
  pages: number;
  /** CRM calls of this run, and the fewest its reads and writes need (list pages + write batches). */
  crmCalls: number;
  floor: number;
  resumedFrom: string | null;
  stopped: 'done' | 'quota';
  stoppedAtQuotaShare: number | null;
  ms: number;
}

interface Buffered {
  page: number;
  item: PlannedContact;
}

/**
 * Rescore every contact of an account at the CRM-call floor: page through the CRM's full listing
 * (one call per page, with the mapped properties, so no second read), plan each contact with the
 * core, and write only those whose values change, in full write batches pooled across pages.
 * Planning and writing are the recompute's own (plan-and-apply.ts): tasks through the ledger,
 * stage entries, the decay schedule, the score ledger, dead letters for what the CRM refuses.
 *
 * Resumable: after each page the checkpoint is the start of the oldest page whose writes are
 * still pooled (or the next page when none are), so a crash re-reads at most that page; contacts
 * already written then plan as unchanged and are not written twice. The CRM calls are made
 * through a low-priority port (see TenantRateLimiter) so live recomputes go first.
 */
export async function rescoreTenant(tenant: Tenant, deps: RescoreDeps): Promise<RescoreSummary> {
  const started = deps.clock.now().getTime();
  const callsBefore = deps.crm.calls;
  const limits = deps.crm.batchLimits ?? { list: 100, write: 100 };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  if (deps.restart) await deps.checkpoints.clear(tenant);
  const saved = deps.restart ? null : await deps.checkpoints.get(tenant);
  const s: RescoreSummary = {
    tenant: tenantKey(tenant),
    read: saved?.read ?? 0,
    changed: saved?.changed ?? 0,
    unchanged: 0,
    tasksCreated: 0,
    deadLettered: 0,
    handedOver: 0,
    gone: 0,
    pages: 0,
    crmCalls: 0,
    floor: 0,
    resumedFrom: saved?.cursor ?? null,
    stopped: 'done',
    stoppedAtQuotaShare: null,
    ms: 0,
  };
  // Per object type (Salesforce writes Leads and Contacts in separate calls): contacts read, written.
  const readOf = new Map<string, number>();
  const sentOf = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  const pooled = new Map<string, Buffered[]>();
  const pageStarts = new Map<number, { cursor: string | null; read: number }>();

  const apply = async (items: PlannedContact[]) => {
    const o = await applyPlans(tenant, items, deps, deps.clock.now());
    s.changed += o.written;
    s.unchanged += o.unchanged;
    s.tasksCreated += o.tasksCreated;
    s.deadLettered += o.deadLettered.length;
    if (o.retry.length === 0) return;
    const ids = new Set(o.retry.map((r) => r.id));
    await deps.handOver(
      tenant,
      items
        .filter((p) => ids.has(p.snapshot.id))
        .map((p) => ({ objectType: p.snapshot.objectType, id: p.snapshot.id })),
    );
    s.handedOver += ids.size;
  };
  // Full write batches only, unless `all`: a partial batch waits for the next page's changes.
  const flush = async (all: boolean) => {
    for (const [type, items] of pooled) {
      const n = all ? items.length : Math.floor(items.length / limits.write) * limits.write;
      if (n === 0) continue;
      const batch = items.splice(0, n).map((b) => b.item);
      bump(sentOf, type, batch.length);
      await apply(batch);
    }
  };
  const checkpoint = async (next: string | null) => {
    const oldest = Math.min(...[...pooled.values()].flatMap((items) => items.map((b) => b.page)));
    for (const p of pageStarts.keys()) if (p < oldest) pageStarts.delete(p);
    const from = Number.isFinite(oldest) ? pageStarts.get(oldest)! : { cursor: next, read: s.read };
    // Already-written contacts of a page read again plan as unchanged: `changed` counts them once.
    if (from.cursor !== null)
      await deps.checkpoints.set(tenant, { cursor: from.cursor, read: from.read, changed: s.changed });
  };
  const list = async (cursor: string | null): Promise<ContactPage> => {
    for (;;) {
      try {
        return await deps.crm.listContacts(tenant, { cursor });
      } catch (err) {
        if (!(err instanceof CrmRateLimitedError)) throw err;
        await sleep(err.retryAfterMs);
      }
    }
  };

  let cursor = saved?.cursor ?? null;
  for (;;) {
    const page = await list(cursor);
    s.pages += 1;
    pageStarts.set(s.pages, { cursor, read: s.read });
    const gone = await deps.store.gone(
      tenant,
      page.contacts.map((c) => c.id),
    );
    s.gone += gone.size;
    s.read += page.contacts.length;
    for (const c of page.contacts) bump(readOf, c.objectType, 1);
    const planned = await planSnapshots(
      tenant,
      page.contacts.filter((c) => !gone.has(c.id)),
      deps,
      deps.clock.now(),
    );
    // Contacts with nothing to write: their decay schedule and last-known state now, no CRM call.
    const quiet = planned.filter((p) => !touchesCrm(p.plan));
    if (quiet.length) await apply(quiet);
    for (const p of planned.filter((x) => touchesCrm(x.plan))) {
      const items = pooled.get(p.snapshot.objectType) ?? [];
      items.push({ page: s.pages, item: p });
      pooled.set(p.snapshot.objectType, items);
    }
    await flush(false);
    cursor = page.next;
    await checkpoint(cursor);
    deps.onProgress?.({
      read: s.read,
      readBefore: saved?.read ?? 0,
      changed: s.changed,
      pages: s.pages,
      crmCalls: deps.crm.calls - callsBefore,
      elapsedMs: deps.clock.now().getTime() - started,
    });
    if (cursor === null) break;
    const share = (await deps.crm.quotaShare?.(tenant)) ?? null;
    if (share !== null && share >= (deps.maxQuotaShare ?? 0.8)) {
      s.stopped = 'quota';
      s.stoppedAtQuotaShare = share;
      break;
    }
  }
  await flush(true);
  if (s.stopped === 'done') await deps.checkpoints.clear(tenant);
  else await checkpoint(cursor);

  const ceil = (m: Map<string, number>, per: number) => [...m.values()].reduce((sum, n) => sum + Math.ceil(n / per), 0);
  s.floor =
    Math.max(1, ceil(readOf, limits.list)) + ceil(sentOf, limits.write) + Math.ceil(s.tasksCreated / limits.write);
  s.crmCalls = deps.crm.calls - callsBefore;
  s.ms = deps.clock.now().getTime() - started;
  deps.log?.info({ ...s }, 'rescore finished');
  return s;
}
