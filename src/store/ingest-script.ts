import { LuaScript } from '../platform/lua-script.ts';

/**
 * The op codes of INGEST_SCRIPT's spec, defined once: IngestBatch writes them, the Lua below is
 * generated with them (a test checks that every code the script compares against is one of these).
 */
export const OP = {
  /** Store an activity (KEYS: activities, tombstone?) and mark the contact pending. */
  activity: 'a',
  /** Mark pending unless gone (KEYS: tombstone); r = 1 undoes a plain deletion. */
  touch: 't',
  /** Erase a contact's activities and leave a tombstone (KEYS: activities, tombstone). */
  erase: 'e',
  /** Move merged contacts' activities to the survivor (KEYS: survivor, merged…). */
  merge: 'm',
  /** One half of an engagement (its meta or its contacts); returns a link once both are there. */
  engagement: 'g',
} as const;
export type OpCode = (typeof OP)[keyof typeof OP];

/** Per-delivery claim states the script returns. */
export const CLAIM = { claimed: 'c', duplicate: 'd', busy: 'b' } as const;

/**
 * One script per (request, tenant): claim every delivery, then apply the ops whose delivery this
 * call claimed — store activities, mark contacts pending, erase, merge, link engagements — all
 * atomically, in one round trip. Every key it touches is declared in KEYS and carries the
 * tenant's hash tag, so the script is legal on a Redis Cluster too.
 *
 * Writes stay small (HSET, PEXPIRE, SADD per activity): trimming old history is the reader's
 * job (READ_ACTIVITIES_SCRIPT), which runs once per recompute instead of once per event.
 *
 * ARGV: token, claimTtlMs, spec (JSON), maxAgeMs, tombstoneMs.
 * spec: { p: pendingKeyIndex, d: [deliveryKeyIndex…], ops: [op…] }, where each op names its
 * delivery by position in d (0 = none: always apply) and its keys by index into KEYS.
 * Returns { statuses ("c" claimed | "d" duplicate | "b" busy, one per delivery), links }, where
 * links lists [opIndex, meta, contactsJSON] for engagements that became complete.
 */
export const INGEST_SCRIPT = new LuaScript(
  'lsIngestBatch',
  `
local spec = cjson.decode(ARGV[3])
local mine = 'p:' .. ARGV[1]
local maxAge, tombTtl = ARGV[4], ARGV[5]
local pending = KEYS[spec.p]

local status = {}
for i, ki in ipairs(spec.d) do
  if redis.call('SET', KEYS[ki], mine, 'NX', 'PX', ARGV[2]) then
    status[i] = '${CLAIM.claimed}'
  elseif redis.call('GET', KEYS[ki]) == 'done' then
    status[i] = '${CLAIM.duplicate}'
  else
    status[i] = '${CLAIM.busy}'
  end
end

-- Per contact, once per call: is it gone; and its TTL refresh and pending mark, after the writes.
local gone, seen = {}, {}
local function store(act, tomb, id, json, member, email)
  if tomb then
    if gone[tomb] == nil then gone[tomb] = redis.call('EXISTS', tomb) == 1 end
    if gone[tomb] then return end
  end
  if email then redis.call('HSET', act, '__email', email) end
  redis.call('HSET', act, id, json)
  if not seen[act] then
    seen[act] = true
    redis.call('PEXPIRE', act, maxAge)
    if member ~= '' then redis.call('SADD', pending, member) end
  end
end

local links = {}
for n, op in ipairs(spec.ops) do
  if op.d == 0 or status[op.d] == '${CLAIM.claimed}' then
    local k = op.k
    if op.o == '${OP.activity}' then
      store(KEYS[k[1]], k[2] and KEYS[k[2]] or nil, op.id, op.j, op.m, op.e)
    elseif op.o == '${OP.touch}' then
      local g = redis.call('GET', KEYS[k[1]])
      if g == 'deleted' and op.r == 1 then redis.call('DEL', KEYS[k[1]]); g = nil; gone[KEYS[k[1]]] = false end
      if not g then redis.call('SADD', pending, op.m) end
    elseif op.o == '${OP.erase}' then
      redis.call('DEL', KEYS[k[1]])
      redis.call('SREM', pending, op.m)
      local kind = op.kind
      if redis.call('GET', KEYS[k[2]]) == 'privacy' then kind = 'privacy' end
      redis.call('SET', KEYS[k[2]], kind, 'PX', tombTtl)
      gone[KEYS[k[2]]] = true
    elseif op.o == '${OP.merge}' then
      for i = 2, #k do
        local h = redis.call('HGETALL', KEYS[k[i]])
        if #h > 0 then redis.call('HSET', KEYS[k[1]], unpack(h)) end
        redis.call('DEL', KEYS[k[i]])
      end
      for _, m in ipairs(op.mm) do redis.call('SREM', pending, m) end
      if redis.call('EXISTS', KEYS[k[1]]) == 1 then redis.call('PEXPIRE', KEYS[k[1]], maxAge) end
      redis.call('SADD', pending, op.m)
    elseif op.o == '${OP.engagement}' then
      local h = KEYS[k[1]]
      if op.meta then redis.call('HSET', h, 'meta', op.meta) end
      if op.c then for _, c in ipairs(op.c) do redis.call('HSET', h, 'c:' .. c, '1') end end
      redis.call('PEXPIRE', h, maxAge)
      local meta = redis.call('HGET', h, 'meta')
      if meta then
        local contacts = {}
        for _, f in ipairs(redis.call('HKEYS', h)) do
          if string.sub(f, 1, 2) == 'c:' then table.insert(contacts, string.sub(f, 3)) end
        end
        if #contacts > 0 then table.insert(links, {n, meta, cjson.encode(contacts)}) end
      end
    end
  end
end
return {status, links}`,
);

// Confirm marks every delivery done: our work is durable by now, so even a claim that expired
// and was taken by a concurrent retry may be marked (that retry rewrites the same state). Release
// deletes only our own claims, never another request's. ARGV: token, "confirm" | "release", doneTtlMs.
export const SETTLE_SCRIPT = new LuaScript(
  'lsSettleDeliveries',
  `
local n = 0
for _, k in ipairs(KEYS) do
  if ARGV[2] == 'confirm' then
    redis.call('SET', k, 'done', 'PX', ARGV[3])
    n = n + 1
  elseif redis.call('GET', k) == 'p:' .. ARGV[1] then
    redis.call('DEL', k)
    n = n + 1
  end
end
return n`,
);

/**
 * Read a contact's activities and trim its history in the same step: entries older than the
 * cutoff go, and beyond `maxPerContact` the oldest go. KEYS: act. ARGV: cutoffMs, maxPerContact.
 * Returns the kept entries as a flat [id, json, …] list.
 */
export const READ_ACTIVITIES_SCRIPT = new LuaScript(
  'lsReadActivities',
  `
local cutoff, maxCount = tonumber(ARGV[1]), tonumber(ARGV[2])
local h = redis.call('HGETALL', KEYS[1])
local keep, drop = {}, {}
for i = 1, #h, 2 do
  local id, json = h[i], h[i + 1]
  if id ~= '__email' then
    local at = tonumber(string.match(json, '"at":(%-?%d+)'))
    if at and at < cutoff then table.insert(drop, id) else table.insert(keep, {id, json, at or 0}) end
  end
end
if #keep > maxCount then
  table.sort(keep, function(a, b) return a[3] > b[3] end)
  for i = maxCount + 1, #keep do table.insert(drop, keep[i][1]) end
  for i = #keep, maxCount + 1, -1 do table.remove(keep, i) end
end
if #drop > 0 then redis.call('HDEL', KEYS[1], unpack(drop)) end
local out = {}
for _, e in ipairs(keep) do table.insert(out, e[1]); table.insert(out, e[2]) end
return out`,
);
