import type { Redis } from 'ioredis';
import { Keys } from '../platform/keys.ts';
import { LuaScript } from '../platform/lua-script.ts';
import { pendingMember } from './activity-store.ts';
import { tenantKey, type Tenant } from '../platform/tenant.ts';

// KEYS: pending, inflight. ARGV: n. A crashed batch (inflight not empty) is resumed first;
// otherwise up to n pending members move to inflight. Returns the batch.
const TAKE_BATCH = new LuaScript(
  'lsTakeBatch',
  `
local resumed = redis.call('SMEMBERS', KEYS[2])
if #resumed > 0 then return resumed end
local taken = redis.call('SPOP', KEYS[1], ARGV[1])
if #taken > 0 then redis.call('SADD', KEYS[2], unpack(taken)) end
return taken`,
);

// KEYS: task keys. ARGV: token, now (ms), then one owner id per key ("" for none). Values:
// "pending:<ms>:<token>:<owner>" while claimed, "done:<taskId>:<owner>" once created. Per key:
// "c" newly claimed, "d:<taskId>:<owner>" created before, "s:<ms>:<owner>" claimed by an attempt
// that never confirmed (look the task up in the CRM first). The owner travels with the key, so a
// redone batch gives the contact the owner its task already has.
const CLAIM_TASKS = new LuaScript(
  'lsClaimTasks',
  `
local out = {}
for i, k in ipairs(KEYS) do
  if redis.call('SET', k, 'pending:' .. ARGV[2] .. ':' .. ARGV[1] .. ':' .. (ARGV[2 + i] or ''), 'NX') then
    out[i] = 'c'
  else
    local v = redis.call('GET', k)
    if string.sub(v, 1, 5) == 'done:' then out[i] = 'd:' .. string.sub(v, 6)
    else
      local ms, owner = string.match(v, '^pending:(%d+):[^:]*:?(.*)$')
      out[i] = 's:' .. (ms or '0') .. ':' .. (owner or '')
    end
  end
end
return out`,
);

// KEYS: rotation hash. ARGV: expected version, then owner key / credit pairs. Compare-and-set.
const COMMIT_ROTATION = new LuaScript(
  'lsCommitRotation',
  `
local v = redis.call('HGET', KEYS[1], '__v') or '0'
if v ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '__v', tostring(tonumber(v) + 1))
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`,
);

/** A task key's state; `ownerId` is the owner the task was (or was about to be) created for. */
export type TaskClaim =
  | { state: 'claimed' }
  | { state: 'done'; taskId: string; ownerId: string | null }
  | { state: 'stale'; claimedAt: number; ownerId: string | null };

/** A task key to claim, with the owner it is planned for. */
export interface TaskClaimRequest {
  key: string;
  ownerId: string | null;
}

export interface RotationSnapshot {
  credits: Record<string, Record<string, number>>;
  versions: Record<string, string>;
}

function parseClaim(r: string): TaskClaim {
  if (r === 'c') return { state: 'claimed' };
  const [kind, a = '', owner = ''] = r.split(':');
  return kind === 's'
    ? { state: 'stale', claimedAt: Number(a), ownerId: owner || null }
    : { state: 'done', taskId: a, ownerId: owner || null };
}

/**
 * The worker's Redis state: which contacts a batch holds, the task idempotency ledger, the shared
 * owner rotation, and how often each contact entered each stage.
 */
export class WorkerStore {
  private readonly redis: Redis;
  private readonly keys: Keys;

  constructor(redis: Redis, keys: Keys) {
    this.redis = redis;
    this.keys = keys;
    for (const s of [TAKE_BATCH, CLAIM_TASKS, COMMIT_ROTATION]) s.register(redis);
  }

  /** Up to `n` pending contacts, moved to the in-flight set (or the unfinished batch of a crashed run). */
  async takeBatch(tenant: Tenant, n: number): Promise<string[]> {
    return (await TAKE_BATCH.run(this.redis, [this.keys.pending(tenant), this.keys.inflight(tenant)], [n])) as string[];
  }

  /** Up to `n` e-mail hashes awaiting resolution (or the unfinished batch of a crashed run). */
  async takeEmailBatch(n: number): Promise<string[]> {
    return (await TAKE_BATCH.run(
      this.redis,
      [this.keys.unresolvedPending(), this.keys.unresolvedInflight()],
      [n],
    )) as string[];
  }

  async finishEmailBatch(hashes: readonly string[]): Promise<void> {
    if (hashes.length) await this.redis.srem(this.keys.unresolvedInflight(), ...hashes);
  }

  async finish(tenant: Tenant, members: readonly string[]): Promise<void> {
    if (members.length) await this.redis.srem(this.keys.inflight(tenant), ...members);
  }

  /** Add contacts to the tenant's pending-recompute set (a rescore, a replay, a dead-letter retry). */
  async markPending(tenant: Tenant, refs: readonly { objectType: string; id: string }[]): Promise<void> {
    if (refs.length)
      await this.redis
        .multi()
        .sadd(this.keys.pending(tenant), ...refs.map(pendingMember))
        .sadd(this.keys.workTenants(), tenantKey(tenant))
        .exec();
  }

  /**
   * Every tenant with contacts pending or in flight: the tenants that ever had work (an index set
   * ingress keeps) whose sets are not empty. No SCAN of the keyspace.
   */
  async tenantsWithWork(): Promise<Tenant[]> {
    const all = (await this.redis.smembers(this.keys.workTenants())).map((m) => Keys.tenantOf(m));
    if (all.length === 0) return [];
    const p = this.redis.pipeline();
    for (const t of all) p.scard(this.keys.pending(t)).scard(this.keys.inflight(t));
    const r = (await p.exec()) ?? [];
    return all.filter((_, i) => Number(r[2 * i]?.[1]) + Number(r[2 * i + 1]?.[1]) > 0);
  }

  /** Remember that a tenant has recompute work (the sweeper looks only at these). */
  async noteWork(tenant: Tenant): Promise<void> {
    await this.redis.sadd(this.keys.workTenants(), tenantKey(tenant));
  }

  async pendingCount(tenant: Tenant): Promise<number> {
    return this.redis.scard(this.keys.pending(tenant));
  }

  async gone(tenant: Tenant, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const p = this.redis.pipeline();
    for (const id of ids) p.exists(this.keys.tombstone(tenant, id));
    const r = (await p.exec()) ?? [];
    return new Set(ids.filter((_, i) => r[i]?.[1] === 1));
  }

  /** Claim task keys at `now`: the claim time bounds where a later lookup must search. */
  async claimTasks(
    tenant: Tenant,
    requests: readonly TaskClaimRequest[],
    token: string,
    now: Date,
  ): Promise<Map<string, TaskClaim>> {
    const out = new Map<string, TaskClaim>();
    if (requests.length === 0) return out;
    const args = [token, now.getTime(), ...requests.map((r) => r.ownerId ?? '')];
    const raw = (await CLAIM_TASKS.run(
      this.redis,
      requests.map((r) => this.keys.task(tenant, r.key)),
      args,
    )) as string[];
    requests.forEach(({ key }, i) => out.set(key, parseClaim(raw[i]!)));
    return out;
  }

  /** The CRM confirmed the task: a retry or duplicate job will find it and not create again. */
  async confirmTask(tenant: Tenant, key: string, taskId: string, ownerId: string | null): Promise<void> {
    await this.redis.set(this.keys.task(tenant, key), `done:${taskId}:${ownerId ?? ''}`, 'EX', 400 * 86_400);
  }

  /** The CRM refused the task for good: forget the claim, so a fixed config can try again. */
  async releaseTask(tenant: Tenant, key: string): Promise<void> {
    await this.redis.del(this.keys.task(tenant, key));
  }

  async loadRotation(tenant: Tenant, poolIds: readonly string[]): Promise<RotationSnapshot> {
    const p = this.redis.pipeline();
    for (const id of poolIds) p.hgetall(this.keys.rotation(tenant, id));
    const r = (await p.exec()) ?? [];
    const snap: RotationSnapshot = { credits: {}, versions: {} };
    poolIds.forEach((id, i) => {
      const h = (r[i]?.[1] ?? {}) as Record<string, string>;
      snap.versions[id] = h['__v'] ?? '0';
      snap.credits[id] = Object.fromEntries(
        Object.entries(h)
          .filter(([k]) => k !== '__v')
          .map(([k, v]) => [k, Number(v)]),
      );
    });
    return snap;
  }

  /** Store a pool's new credits if nobody else moved the rotation since `version`; false if they did. */
  async commitRotation(
    tenant: Tenant,
    poolId: string,
    version: string,
    credits: Record<string, number>,
  ): Promise<boolean> {
    const args = Object.entries(credits).flatMap(([k, v]) => [k, String(v)]);
    return (await COMMIT_ROTATION.run(this.redis, [this.keys.rotation(tenant, poolId)], [version, ...args])) === 1;
  }

  async stageEntries(tenant: Tenant, ids: readonly string[]): Promise<Map<string, Record<string, number>>> {
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.keys.stageEntries(tenant, id));
    const r = (await p.exec()) ?? [];
    return new Map(
      ids.map((id, i) => [
        id,
        Object.fromEntries(Object.entries((r[i]?.[1] ?? {}) as Record<string, string>).map(([k, v]) => [k, Number(v)])),
      ]),
    );
  }

  async recordEntries(tenant: Tenant, entries: readonly { id: string; stage: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const p = this.redis.pipeline();
    for (const e of entries) p.hincrby(this.keys.stageEntries(tenant, e.id), e.stage, 1);
    await p.exec();
  }
}
