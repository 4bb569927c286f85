import type { Redis } from 'ioredis';
import type { SlaTask } from '../core/escalation.ts';
import { Keys } from '../platform/keys.ts';
import { tenantKey, type Tenant } from '../platform/tenant.ts';

/** A watched task and when its next escalation step fires (null: nothing fires; kept for a loan only). */
export interface Watched {
  task: SlaTask;
  at: number | null;
}

/** A contact (and its task) handed on because its owner was away: it goes back when the owner returns. */
export interface Loan {
  key: string;
  taskId: string;
  contact: SlaTask['contact'];
  /** The owner key it was taken from, and the CRM owner id it went to. */
  from: string;
  to: string | null;
}

function loanOf(t: SlaTask): Loan {
  return { key: t.key, taskId: t.taskId, contact: t.contact, from: t.loanedFrom!, to: t.ownerId };
}

/**
 * The SLA escalation's state in Redis: per tenant, one sorted set (task key → when its next step
 * fires), the watched tasks, and the loans (tasks taken from an owner who was away). No timer per
 * task: the escalation sweep asks for what is due. Every write is idempotent, so a step that dies
 * half-way is simply done again.
 */
export class SlaStore {
  private readonly redis: Redis;
  private readonly keys: Keys;

  constructor(redis: Redis, keys: Keys) {
    this.redis = redis;
    this.keys = keys;
  }

  /** Start watching tasks; a task already watched keeps its state (a redone batch changes nothing). */
  async watch(tenant: Tenant, entries: readonly Watched[]): Promise<void> {
    if (entries.length === 0) return;
    const p = this.redis.multi();
    p.sadd(this.keys.slaTenants(), tenantKey(tenant));
    for (const { task, at } of entries) {
      // Past the last step a task is not watched; only its loan (if any) is kept.
      if (at !== null) {
        p.hsetnx(this.keys.slaTasks(tenant), task.key, JSON.stringify(task));
        p.zadd(this.keys.slaSchedule(tenant), 'NX', at, task.key);
      }
      if (task.loanedFrom) p.hsetnx(this.keys.slaLoans(tenant), task.key, JSON.stringify(loanOf(task)));
    }
    await p.exec();
  }

  /** Up to `n` watched tasks whose next step is due at `nowMs`, earliest first. */
  async due(tenant: Tenant, nowMs: number, n: number): Promise<SlaTask[]> {
    const keys = await this.redis.zrangebyscore(this.keys.slaSchedule(tenant), '-inf', nowMs, 'LIMIT', 0, n);
    return [...(await this.tasks(tenant, keys)).values()];
  }

  async tasks(tenant: Tenant, keys: readonly string[]): Promise<Map<string, SlaTask>> {
    if (keys.length === 0) return new Map();
    const raw = await this.redis.hmget(this.keys.slaTasks(tenant), ...keys);
    return new Map(keys.flatMap((k, i) => (raw[i] ? [[k, JSON.parse(raw[i]!) as SlaTask] as const] : [])));
  }

  /** Replace a watched task's state (its next step) and when that fires; null: off the schedule. */
  async update(tenant: Tenant, task: SlaTask, at: number | null): Promise<void> {
    const p = this.redis.multi();
    p.hset(this.keys.slaTasks(tenant), task.key, JSON.stringify(task));
    if (at === null) p.zrem(this.keys.slaSchedule(tenant), task.key);
    else p.zadd(this.keys.slaSchedule(tenant), at, task.key);
    await p.exec();
  }

  /** Stop watching tasks (met, closed, gone, or handed to a new task). */
  async forget(tenant: Tenant, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const p = this.redis.multi();
    p.hdel(this.keys.slaTasks(tenant), ...keys);
    p.zrem(this.keys.slaSchedule(tenant), ...keys);
    await p.exec();
  }

  /** Tasks taken from an owner who was away (they outlive the task's watch: the contact goes back). */
  async loans(tenant: Tenant): Promise<Loan[]> {
    return Object.values(await this.redis.hgetall(this.keys.slaLoans(tenant))).map((v) => JSON.parse(v) as Loan);
  }

  async endLoan(tenant: Tenant, key: string): Promise<void> {
    await this.redis.hdel(this.keys.slaLoans(tenant), key);
  }

  /** Every tenant with watched tasks (an index set: no SCAN of the keyspace). */
  async tenants(): Promise<Tenant[]> {
    return (await this.redis.smembers(this.keys.slaTenants())).map((m) => Keys.tenantOf(m));
  }
}
