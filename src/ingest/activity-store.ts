import type { ChainableCommander, Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { ContactRef, StoredActivity, Tenant } from './ops.ts';

// KEYS: act, idx, tombstone, pending. ARGV: id, json, at, ttlMs, member, cutoffMs, maxCount.
// Returns 0 when the contact is gone (a late event after a deletion), 1 when stored.
const STORE_ACTIVITY = new LuaScript('lsStoreActivity', `
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6])
local n = redis.call('ZCARD', KEYS[2]) - #old - tonumber(ARGV[7])
if n > 0 then
  local extra = redis.call('ZRANGE', KEYS[2], #old, #old + n - 1)
  for _, id in ipairs(extra) do table.insert(old, id) end
end
if #old > 0 then
  redis.call('HDEL', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if ARGV[5] ~= '' then redis.call('SADD', KEYS[4], ARGV[5]) end
return 1`);

// KEYS: tombstone, pending. ARGV: member, restore ("1" clears a plain deletion).
const TOUCH = new LuaScript('lsTouchContact', `
local gone = redis.call('GET', KEYS[1])
if gone and ARGV[2] == '1' and gone == 'deleted' then redis.call('DEL', KEYS[1]); gone = nil end
if gone then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
return 1`);

// KEYS: act, idx, tombstone, pending. ARGV: member, kind, ttlMs.
// A privacy deletion is never downgraded: HubSpot sends a plain deletion alongside it, in any order.
const ERASE = new LuaScript('lsEraseContact', `
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[4], ARGV[1])
local kind = ARGV[2]
if redis.call('GET', KEYS[3]) == 'privacy' then kind = 'privacy' end
redis.call('SET', KEYS[3], kind, 'PX', ARGV[3])
return 1`);

// KEYS: survivor act, survivor idx, pending, then act and idx of each merged contact.
// ARGV: survivor member, ttlMs, then the member of each merged contact.
const MERGE = new LuaScript('lsMergeContacts', `
local moved = 0
for i = 4, #KEYS, 2 do
  local h = redis.call('HGETALL', KEYS[i])
  if #h > 0 then redis.call('HSET', KEYS[1], unpack(h)) end
  local z = redis.call('ZRANGE', KEYS[i + 1], 0, -1, 'WITHSCORES')
  for j = 1, #z, 2 do redis.call('ZADD', KEYS[2], z[j + 1], z[j]); moved = moved + 1 end
  redis.call('DEL', KEYS[i], KEYS[i + 1])
end
for i = 3, #ARGV do redis.call('SREM', KEYS[3], ARGV[i]) end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
redis.call('SADD', KEYS[3], ARGV[1])
return moved`);

// KEYS: engagement hash. ARGV: meta JSON or "", contact ids JSON or "", ttlMs.
// Returns {meta, contacts} once both halves are known, else nil.
const LINK_ENGAGEMENT = new LuaScript('lsLinkEngagement', `
if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'meta', ARGV[1]) end
if ARGV[2] ~= '' then
  for _, c in ipairs(cjson.decode(ARGV[2])) do redis.call('HSET', KEYS[1], 'c:' .. c, '1') end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local meta = redis.call('HGET', KEYS[1], 'meta')
if not meta then return nil end
local contacts = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, 2) == 'c:' then table.insert(contacts, string.sub(f, 3)) end
end
if #contacts == 0 then return nil end
return {meta, cjson.encode(contacts)}`);

/** The field of an unresolved-activities hash that holds the address to resolve. */
const EMAIL_FIELD = '__email';

export interface EngagementLink {
  meta: Omit<StoredActivity, 'id'>;
  contactIds: string[];
}

export interface ActivityStoreOptions {
  /** Activities older than this are dropped (keep in line with engagement.maxAgeDays). */
  maxAgeDays: number;
  /** At most this many activities per contact are kept: the newest. */
  maxPerContact?: number;
  /** How long a deletion is remembered, so late events for a deleted contact are dropped. */
  tombstoneDays?: number;
}

/** The pending-set member for a contact: Salesforce needs the object type, HubSpot has one. */
export function pendingMember(c: Pick<ContactRef, 'objectType' | 'id'>): string {
  return `${c.objectType}:${c.id}`;
}

export function parsePendingMember(member: string): { objectType: 'contact' | 'lead'; id: string } {
  const i = member.indexOf(':');
  return { objectType: member.slice(0, i) === 'lead' ? 'lead' : 'contact', id: member.slice(i + 1) };
}

/**
 * Per-contact activity history in Redis, the pending-recompute sets, and the bookkeeping for
 * merges, deletions and engagements whose contact arrives separately. Every write is idempotent
 * (activities are keyed by id), so a retried delivery rewrites the same state.
 */
export class ActivityStore {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly maxAgeMs: number;
  private readonly maxPerContact: number;
  private readonly tombstoneMs: number;

  constructor(redis: Redis, keys: Keys, opts: ActivityStoreOptions) {
    this.redis = redis;
    this.keys = keys;
    this.maxAgeMs = opts.maxAgeDays * 86_400_000;
    this.maxPerContact = opts.maxPerContact ?? 1_000;
    this.tombstoneMs = (opts.tombstoneDays ?? 30) * 86_400_000;
    for (const s of [STORE_ACTIVITY, TOUCH, ERASE, MERGE, LINK_ENGAGEMENT]) s.register(redis);
  }

  storeActivity(p: ChainableCommander, c: ContactRef, a: StoredActivity, nowMs: number, markPending = true): void {
    const k = this.keys;
    const json = JSON.stringify({ type: a.type, at: a.at, attributes: a.attributes });
    void STORE_ACTIVITY.run(
      p,
      [k.activities(c.tenant, c.id), k.activityIndex(c.tenant, c.id), k.tombstone(c.tenant, c.id), k.pending(c.tenant)],
      [a.id, json, a.at, this.maxAgeMs, markPending ? pendingMember(c) : '', nowMs - this.maxAgeMs, this.maxPerContact],
    );
  }

  touch(p: ChainableCommander, c: ContactRef, restore = false): void {
    void TOUCH.run(p, [this.keys.tombstone(c.tenant, c.id), this.keys.pending(c.tenant)], [pendingMember(c), restore ? '1' : '0']);
  }

  erase(p: ChainableCommander, c: ContactRef, privacy: boolean): void {
    const k = this.keys;
    void ERASE.run(
      p,
      [k.activities(c.tenant, c.id), k.activityIndex(c.tenant, c.id), k.tombstone(c.tenant, c.id), k.pending(c.tenant)],
      [pendingMember(c), privacy ? 'privacy' : 'deleted', this.tombstoneMs],
    );
  }

  merge(p: ChainableCommander, tenant: Tenant, survivorId: string, mergedIds: readonly string[]): void {
    const k = this.keys;
    const keys = [k.activities(tenant, survivorId), k.activityIndex(tenant, survivorId), k.pending(tenant)];
    for (const m of mergedIds) keys.push(k.activities(tenant, m), k.activityIndex(tenant, m));
    const member = (id: string) => pendingMember({ objectType: 'contact', id });
    void MERGE.run(p, keys, [member(survivorId), this.maxAgeMs, ...mergedIds.map(member)]);
  }

  /** Record half of an engagement (its meta, or its contacts); see `parseLink` for the reply. */
  linkEngagement(p: ChainableCommander, tenant: Tenant, engagementId: string, meta: object | undefined, contactIds: readonly string[] | undefined): void {
    void LINK_ENGAGEMENT.run(
      p,
      [this.keys.engagement(tenant, engagementId)],
      [meta ? JSON.stringify(meta) : '', contactIds?.length ? JSON.stringify(contactIds) : '', this.maxAgeMs],
    );
  }

  /** The engagement's activity meta and contacts once both halves are known, else null. */
  static parseLink(reply: unknown): EngagementLink | null {
    if (!Array.isArray(reply)) return null;
    return { meta: JSON.parse(String(reply[0])), contactIds: JSON.parse(String(reply[1])) };
  }

  /** Keep an e-mail-addressed activity, and the address, until a worker resolves it to contacts. */
  storeUnresolved(p: ChainableCommander, emailHash: string, email: string, a: StoredActivity, nowMs: number): void {
    const k = this.keys;
    p.hset(k.unresolved(emailHash), EMAIL_FIELD, email);
    const json = JSON.stringify({ type: a.type, at: a.at, attributes: a.attributes });
    void STORE_ACTIVITY.run(
      p,
      [k.unresolved(emailHash), k.unresolvedIndex(emailHash), `${k.prefix}:{email}:never`, k.unresolvedPending()],
      [a.id, json, a.at, this.maxAgeMs, emailHash, nowMs - this.maxAgeMs, this.maxPerContact],
    );
  }

  /** A contact's stored activities, oldest first (the worker's read). */
  async activities(c: Pick<ContactRef, 'tenant' | 'id'>): Promise<StoredActivity[]> {
    const raw = await this.redis.hgetall(this.keys.activities(c.tenant, c.id));
    return Object.entries(raw)
      .filter(([id]) => id !== EMAIL_FIELD)
      .map(([id, json]) => ({ id, ...(JSON.parse(json) as Omit<StoredActivity, 'id'>) }))
      .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
  }

  async pending(tenant: Tenant): Promise<string[]> {
    return (await this.redis.smembers(this.keys.pending(tenant))).sort();
  }

  async isGone(c: Pick<ContactRef, 'tenant' | 'id'>): Promise<boolean> {
    return (await this.redis.exists(this.keys.tombstone(c.tenant, c.id))) === 1;
  }
}
