import type {
  ActivityReader,
  DeadLetterSink,
  DecayState,
  RecomputeStore,
  ScoreHistory,
} from '../../jobs/recompute-ports.ts';
import type { SlaState } from '../../jobs/escalate-tenant.ts';
import type { SlaTask } from '../../src/core/escalation.ts';
import type { Loan, Watched } from '../../src/store/sla-store.ts';
import type { RescoreCheckpoint, RescoreCheckpoints } from '../../jobs/rescore-tenant.ts';
import type { Activity, ContactSnapshot } from '../../src/core/types.ts';
import type { AfterPlan } from '../../src/store/decay-store.ts';
import { tenantKey, type Tenant } from '../../src/platform/tenant.ts';
import type { DeadLetter, NewDeadLetter } from '../../src/store/dead-letters.ts';
import type { LedgerEntry } from '../../src/store/score-ledger.ts';
import type { RotationSnapshot, TaskClaim, TaskClaimRequest } from '../../src/store/worker-store.ts';

const member = (r: { objectType: string; id: string }) => `${r.objectType}:${r.id}`;

/** The worker's Redis state, in memory, with the same contract (test/store/worker-store.test.ts). */
export class FakeRecomputeStore implements RecomputeStore {
  readonly pending = new Map<string, Set<string>>();
  readonly inflight = new Map<string, Set<string>>();
  readonly tombstones = new Set<string>();
  readonly ledger = new Map<string, string>();
  readonly rotation = new Map<string, { v: number; credits: Record<string, number> }>();
  readonly entries = new Map<string, Record<string, number>>();

  private set(map: Map<string, Set<string>>, tenant: Tenant): Set<string> {
    const k = tenantKey(tenant);
    let s = map.get(k);
    if (!s) map.set(k, (s = new Set()));
    return s;
  }

  async markPending(tenant: Tenant, refs: readonly { objectType: string; id: string }[]): Promise<void> {
    for (const r of refs) this.set(this.pending, tenant).add(member(r));
  }
  async takeBatch(tenant: Tenant, n: number): Promise<string[]> {
    const inflight = this.set(this.inflight, tenant);
    if (inflight.size > 0) return [...inflight];
    const pending = this.set(this.pending, tenant);
    const taken = [...pending].slice(0, n);
    for (const m of taken) {
      pending.delete(m);
      inflight.add(m);
    }
    return taken;
  }
  async finish(tenant: Tenant, members: readonly string[]): Promise<void> {
    for (const m of members) this.set(this.inflight, tenant).delete(m);
  }
  async tenantsWithWork(): Promise<Tenant[]> {
    const keys = new Set([...this.pending, ...this.inflight].filter(([, set]) => set.size > 0).map(([k]) => k));
    return [...keys].map((k) => ({ crm: k.slice(0, k.indexOf(':')), id: k.slice(k.indexOf(':') + 1) }));
  }
  async pendingCount(tenant: Tenant): Promise<number> {
    return this.set(this.pending, tenant).size;
  }
  async gone(tenant: Tenant, ids: readonly string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => this.tombstones.has(`${tenantKey(tenant)}:${id}`)));
  }
  async claimTasks(
    tenant: Tenant,
    requests: readonly TaskClaimRequest[],
    token: string,
    now: Date,
  ): Promise<Map<string, TaskClaim>> {
    const out = new Map<string, TaskClaim>();
    for (const { key, ownerId } of requests) {
      const k = `${tenantKey(tenant)}:${key}`;
      const v = this.ledger.get(k);
      if (v === undefined) {
        this.ledger.set(k, `pending:${now.getTime()}:${token}:${ownerId ?? ''}`);
        out.set(key, { state: 'claimed' });
      } else if (v.startsWith('done:')) {
        const [, taskId = '', owner = ''] = v.split(':');
        out.set(key, { state: 'done', taskId, ownerId: owner || null });
      } else {
        const [, ms = '0', , owner = ''] = v.split(':');
        out.set(key, { state: 'stale', claimedAt: Number(ms), ownerId: owner || null });
      }
    }
    return out;
  }
  async confirmTask(tenant: Tenant, key: string, taskId: string, ownerId: string | null): Promise<void> {
    this.ledger.set(`${tenantKey(tenant)}:${key}`, `done:${taskId}:${ownerId ?? ''}`);
  }
  async releaseTask(tenant: Tenant, key: string): Promise<void> {
    this.ledger.delete(`${tenantKey(tenant)}:${key}`);
  }
  async loadRotation(tenant: Tenant, poolIds: readonly string[]): Promise<RotationSnapshot> {
    const snap: RotationSnapshot = { credits: {}, versions: {} };
    for (const id of poolIds) {
      const r = this.rotation.get(`${tenantKey(tenant)}:${id}`);
      snap.credits[id] = { ...(r?.credits ?? {}) };
      snap.versions[id] = String(r?.v ?? 0);
    }
    return snap;
  }
  async commitRotation(
    tenant: Tenant,
    poolId: string,
    version: string,
    credits: Record<string, number>,
  ): Promise<boolean> {
    const r = this.rotation.get(`${tenantKey(tenant)}:${poolId}`);
    if (String(r?.v ?? 0) !== version) return false;
    this.rotation.set(`${tenantKey(tenant)}:${poolId}`, { v: (r?.v ?? 0) + 1, credits: { ...credits } });
    return true;
  }
  async stageEntries(tenant: Tenant, ids: readonly string[]): Promise<Map<string, Record<string, number>>> {
    return new Map(ids.map((id) => [id, { ...(this.entries.get(`${tenantKey(tenant)}:${id}`) ?? {}) }]));
  }
  async recordEntries(tenant: Tenant, entries: readonly { id: string; stage: string }[]): Promise<void> {
    for (const e of entries) {
      const k = `${tenantKey(tenant)}:${e.id}`;
      const row = this.entries.get(k) ?? {};
      row[e.stage] = (row[e.stage] ?? 0) + 1;
      this.entries.set(k, row);
    }
  }
}

export class FakeActivities implements ActivityReader {
  readonly byContact = new Map<string, Activity[]>();
  async activitiesMany(_t: Tenant, ids: readonly string[]): Promise<Map<string, Activity[]>> {
    return new Map(ids.map((id) => [id, [...(this.byContact.get(id) ?? [])]]));
  }
}

export class FakeDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  async add(_t: Tenant, letters: readonly NewDeadLetter[], now: Date): Promise<void> {
    for (const l of letters) {
      const prev = this.letters.find((x) => x.objectType === l.objectType && x.id === l.id);
      if (prev) Object.assign(prev, { reason: l.reason, lastSeenAt: now.toISOString(), count: prev.count + 1 });
      else this.letters.push({ ...l, firstSeenAt: now.toISOString(), lastSeenAt: now.toISOString(), count: 1 });
    }
  }
}

/** Decay's schedule and snapshots in memory (the DecayStore's contract: test/store/decay-store.test.ts). */
export class FakeDecayState implements DecayState {
  readonly schedule = new Map<string, Map<string, number>>();
  readonly snaps = new Map<string, ContactSnapshot>();

  private of(tenant: Tenant): Map<string, number> {
    let m = this.schedule.get(tenantKey(tenant));
    if (!m) this.schedule.set(tenantKey(tenant), (m = new Map()));
    return m;
  }
  async record(tenant: Tenant, entries: readonly AfterPlan[]): Promise<void> {
    for (const e of entries) {
      this.snaps.set(`${tenantKey(tenant)}:${e.snapshot.id}`, structuredClone(e.snapshot));
      if (e.nextChangeAt === null) this.of(tenant).delete(member(e.snapshot));
      else this.of(tenant).set(member(e.snapshot), e.nextChangeAt);
    }
  }
  async due(tenant: Tenant, nowMs: number, n: number): Promise<string[]> {
    return [...this.of(tenant)]
      .filter(([, at]) => at <= nowMs)
      .sort((a, b) => a[1] - b[1])
      .slice(0, n)
      .map(([m]) => m);
  }
  async snapshots(tenant: Tenant, ids: readonly string[]): Promise<Map<string, ContactSnapshot>> {
    return new Map(
      ids.flatMap((id) => {
        const s = this.snaps.get(`${tenantKey(tenant)}:${id}`);
        return s ? [[id, structuredClone(s)] as const] : [];
      }),
    );
  }
  async unschedule(tenant: Tenant, members: readonly string[]): Promise<void> {
    for (const m of members) this.of(tenant).delete(m);
  }
}

export class FakeScoreHistory implements ScoreHistory {
  readonly entries: { id: string; entry: LedgerEntry }[] = [];
  async append(_t: Tenant, entries: readonly { id: string; entry: LedgerEntry }[]): Promise<void> {
    this.entries.push(...entries);
  }
}

/** The SLA escalation's state in memory (src/store/sla-store.ts is the Redis one). */
export class FakeSlaState implements SlaState {
  readonly tasks = new Map<string, SlaTask>();
  readonly schedule = new Map<string, number>();
  readonly loanList = new Map<string, Loan>();
  async watch(_t: Tenant, entries: readonly Watched[]): Promise<void> {
    for (const { task, at } of entries) {
      if (at !== null && !this.tasks.has(task.key)) this.tasks.set(task.key, structuredClone(task));
      if (at !== null && !this.schedule.has(task.key)) this.schedule.set(task.key, at);
      if (task.loanedFrom && !this.loanList.has(task.key)) {
        this.loanList.set(task.key, {
          key: task.key,
          taskId: task.taskId,
          contact: task.contact,
          from: task.loanedFrom,
          to: task.ownerId,
        });
      }
    }
  }
  async due(_t: Tenant, nowMs: number, n: number): Promise<SlaTask[]> {
    return [...this.schedule]
      .filter(([, at]) => at <= nowMs)
      .sort((a, b) => a[1] - b[1])
      .slice(0, n)
      .map(([k]) => structuredClone(this.tasks.get(k)!));
  }
  async update(_t: Tenant, task: SlaTask, at: number | null): Promise<void> {
    this.tasks.set(task.key, structuredClone(task));
    if (at === null) this.schedule.delete(task.key);
    else this.schedule.set(task.key, at);
  }
  async forget(_t: Tenant, keys: readonly string[]): Promise<void> {
    for (const k of keys) {
      this.tasks.delete(k);
      this.schedule.delete(k);
    }
  }
  async loans(): Promise<Loan[]> {
    return [...this.loanList.values()];
  }
  async endLoan(_t: Tenant, key: string): Promise<void> {
    this.loanList.delete(key);
  }
}

/** A rescore's checkpoint per tenant in memory (the Redis store's contract: test/store/rescore-checkpoints.test.ts). */
export class FakeRescoreCheckpoints implements RescoreCheckpoints {
  readonly saved = new Map<string, RescoreCheckpoint>();
  /** Every checkpoint set, in order (what a crash at each point would resume from). */
  readonly history: RescoreCheckpoint[] = [];
  async get(tenant: Tenant): Promise<RescoreCheckpoint | null> {
    return this.saved.get(tenantKey(tenant)) ?? null;
  }
  async set(tenant: Tenant, checkpoint: RescoreCheckpoint): Promise<void> {
    this.saved.set(tenantKey(tenant), { ...checkpoint });
    this.history.push({ ...checkpoint });
  }
  async clear(tenant: Tenant): Promise<void> {
    this.saved.delete(tenantKey(tenant));
  }
}
