/**
 * The subscriber store's server-side rules, as Lua run by Redis / Valkey (EVALSHA): one script
 * per RADIUS Accounting-Request, so every instance sees each record applied whole or not at all.
 * The rules are those of src/subscribers/accounting.ts (its header is the reference; RFC 2866
 * §5.1 Acct-Status-Type, RFC 2869 §5.3 Event-Timestamp, TS 29.061 §16 per-context accounting);
 * test/subscribers/store-rules.test.ts runs the same cases against both stores.
 *
 * Keys (P = subscribers.redis.keyPrefix):
 * | key | type | holds |
 * |---|---|---|
 * | P b:KEY | string | JSON of the RADIUS binding of table key KEY |
 * | P all | zset | keys by bind sequence (paging, oldest-bound eviction) |
 * | P n:NAS | zset | keys a NAS bound (Accounting-On/Off flush) |
 * | P m:MSISDN | zset | keys of an MSISDN |
 * | P e:NAS | zset | ended sessions "KEY\nSID" of a NAS, the newest `endedMax` kept |
 * | P r:ID | string | outcome of a request already applied (retransmissions), expires after the duplicate window |
 * | P seq | integer | the bind sequence |
 * | P evictions | integer | bindings evicted because `maxEntries` was reached |
 *
 * Static-file bindings are not stored here: every instance loads its own file (configuration,
 * like the rest of the YAML), so a reload on one instance never rewrites another's (README).
 *
 * Every key the script touches lives under P; scripts touch keys they compute (a NAS's set), so a
 * Redis Cluster would need them all in one slot: Cluster is not supported (README).
 */

/** Shared helpers: put/del keep the binding and its indexes in step. */
const COMMON = `
local P = ARGV[1]
local maxEntries = tonumber(ARGV[2])
local endedMax = tonumber(ARGV[3])

local function get(key)
  local v = redis.call('GET', P .. 'b:' .. key)
  if v then return cjson.decode(v) end
  return nil
end
local function sessionsOf(b)
  if type(b.sessions) == 'table' and #b.sessions > 0 then return b.sessions end
  if type(b.acctSessionId) == 'string' then return { b.acctSessionId } end
  return {}
end
local function contains(t, x)
  if x == nil then return false end
  for _, v in ipairs(t) do if v == x then return true end end
  return false
end
local function unindex(key, b)
  redis.call('ZREM', P .. 'all', key)
  if type(b.nas) == 'string' then redis.call('ZREM', P .. 'n:' .. b.nas, key) end
  if type(b.msisdn) == 'string' then redis.call('ZREM', P .. 'm:' .. b.msisdn, key) end
end
local function del(key)
  local old = get(key)
  if not old then return false end
  unindex(key, old)
  redis.call('DEL', P .. 'b:' .. key)
  return true
end
local function put(b)
  local old = get(b.key)
  if old then unindex(b.key, old) end
  if type(b.sessions) == 'table' and #b.sessions < 2 then b.sessions = nil end
  local seq = redis.call('INCR', P .. 'seq')
  redis.call('SET', P .. 'b:' .. b.key, cjson.encode(b))
  redis.call('ZADD', P .. 'all', seq, b.key)
  if type(b.nas) == 'string' then redis.call('ZADD', P .. 'n:' .. b.nas, seq, b.key) end
  if type(b.msisdn) == 'string' then redis.call('ZADD', P .. 'm:' .. b.msisdn, seq, b.key) end
  local over = redis.call('ZCARD', P .. 'all') - maxEntries
  if over > 0 then
    for _, k in ipairs(redis.call('ZRANGE', P .. 'all', 0, over - 1)) do
      if not del(k) then redis.call('ZREM', P .. 'all', k) end
    end
    redis.call('INCRBY', P .. 'evictions', over)
  end
end
local function markEnded(nas, key, sid)
  local z = P .. 'e:' .. nas
  redis.call('ZADD', z, redis.call('INCR', P .. 'seq'), key .. '\\n' .. sid)
  local over = redis.call('ZCARD', z) - endedMax
  if over > 0 then redis.call('ZREMRANGEBYRANK', z, 0, over - 1) end
end
local function hasEnded(nas, key, sid)
  return redis.call('ZSCORE', P .. 'e:' .. nas, key .. '\\n' .. sid) ~= false
end
-- Accounting-On/Off: every binding a NAS bound, and its ended-session records
local function flush(nas)
  redis.call('DEL', P .. 'e:' .. nas)
  local n = 0
  for _, key in ipairs(redis.call('ZRANGE', P .. 'n:' .. nas, 0, -1)) do
    local b = get(key)
    if b and b.nas == nas and del(key) then n = n + 1 end
  end
  redis.call('DEL', P .. 'n:' .. nas)
  return n
end
`;

/**
 * ARGV: prefix, maxEntries, endedMax, request JSON (AccountingRequest + `at`, the event time),
 * staleToleranceMs, maxContexts, duplicate id ('' = none), duplicate window ms.
 * Returns the outcome JSON; `{"duplicate":true,...}` when the id was seen within the window.
 */
export const APPLY_ACCOUNTING = `${COMMON}
local r = cjson.decode(ARGV[4])
local TOL = tonumber(ARGV[5])
local MAXCTX = tonumber(ARGV[6])
local dupId = ARGV[7]
local dupWindow = tonumber(ARGV[8])
if dupId ~= '' then
  local seen = redis.call('GET', P .. 'r:' .. dupId)
  if seen then return seen end
end
local function str(v) if type(v) == 'string' then return v end return nil end
local sid = str(r.sessionId)
local function same(b)
  if str(b.imsi) and str(r.imsi) then return b.imsi == r.imsi end
  if str(b.msisdn) and str(r.msisdn) then return b.msisdn == r.msisdn end
  return false
end
local function pick(a, b) if a ~= nil and a ~= cjson.null then return a end return b end
-- the phone's own IPv6 address belongs to its /64 binding only
local function ownAddress(key) if key == r.ipv6Key then return str(r.ipv6Address) end return nil end

local function upsert(key)
  if sid and hasEnded(r.nas, key, sid) then return 'stale' end
  local old = get(key)
  if old and old.nas == r.nas and (same(old) or (sid and contains(sessionsOf(old), sid))) then
    local sessions = sessionsOf(old)
    local known = (sid == nil) or contains(sessions, sid)
    local nxt = sessions
    if not known then
      nxt = {}
      for _, s in ipairs(sessions) do table.insert(nxt, s) end
      table.insert(nxt, sid)
      while #nxt > MAXCTX do table.remove(nxt, 1) end
    end
    local acct = nxt[1]
    if contains(nxt, str(old.acctSessionId)) then acct = old.acctSessionId end
    put({ key = key, msisdn = pick(r.msisdn, old.msisdn), imsi = pick(r.imsi, old.imsi), imeisv = pick(r.imeisv, old.imeisv),
      sgsnAddress = pick(r.sgsnAddress, old.sgsnAddress), ratType = pick(r.ratType, old.ratType), apn = pick(r.apn, old.apn),
      ipv6Address = pick(ownAddress(key), old.ipv6Address),
      source = 'radius', nas = r.nas, acctSessionId = acct, sessions = nxt, since = old.since })
    if known then return 'refreshed' end
    return 'context-added'
  end
  if old and r.at + TOL < old.since then return 'stale' end
  put({ key = key, msisdn = str(r.msisdn), imsi = str(r.imsi), imeisv = str(r.imeisv), sgsnAddress = str(r.sgsnAddress),
    ratType = r.ratType, apn = str(r.apn), ipv6Address = ownAddress(key), source = 'radius', nas = r.nas, acctSessionId = sid, since = r.at })
  if old then return 'replaced' end
  return 'bound'
end

local function stop(key)
  if sid then markEnded(r.nas, key, sid) end
  local old = get(key)
  if not old then return 'no-binding' end
  local sessions = sessionsOf(old)
  local function endAll()
    if str(old.nas) then for _, s in ipairs(sessions) do markEnded(old.nas, key, s) end end
    del(key)
  end
  if sid and contains(sessions, sid) then
    local rest = {}
    for _, s in ipairs(sessions) do if s ~= sid then table.insert(rest, s) end end
    if r.sessionStopIndicator or #rest == 0 then
      endAll()
      return 'unbound'
    end
    if not contains(rest, str(old.acctSessionId)) then old.acctSessionId = rest[1] end
    old.sessions = rest
    put(old)
    return 'context-removed'
  end
  if (r.sessionStopIndicator or sid == nil) and old.nas == r.nas and same(old) then
    endAll()
    return 'unbound'
  end
  return 'other-session'
end

local results = {}
if r.status == 'accounting-on' or r.status == 'accounting-off' then
  local count = 0
  for _, n in ipairs(r.nasAliases) do count = count + flush(n) end
  results = { { action = 'flushed', count = count } }
elseif r.status == 'start' or r.status == 'interim' or r.status == 'stop' then
  local keys = {}
  if str(r.ipv4) then table.insert(keys, r.ipv4) end
  if str(r.ipv6Key) then table.insert(keys, r.ipv6Key) end
  if #keys == 0 then
    results = { { action = 'no-address' } }
  else
    for _, key in ipairs(keys) do
      local action
      if r.status == 'stop' then action = stop(key) else action = upsert(key) end
      table.insert(results, { key = key, action = action })
    end
  end
else
  results = { { action = 'ignored' } }
end
local out = cjson.encode({ results = results })
if dupId ~= '' then
  redis.call('SET', P .. 'r:' .. dupId, cjson.encode({ duplicate = true, results = results }), 'PX', dupWindow)
end
return out
`;

/** Binds one RADIUS-layer binding directly (admin/tests). ARGV: prefix, maxEntries, endedMax, binding JSON. */
export const BIND = `${COMMON}
put(cjson.decode(ARGV[4]))
return 1
`;

/** Removes a RADIUS binding. ARGV: prefix, maxEntries, endedMax, key, session id ('' = any). Returns 1 when removed. */
export const UNBIND = `${COMMON}
local key = ARGV[4]
local sid = ARGV[5]
local old = get(key)
if not old then return 0 end
if sid ~= '' and not contains(sessionsOf(old), sid) then return 0 end
del(key)
return 1
`;

/** Flushes one NAS. ARGV: prefix, maxEntries, endedMax, nas. Returns the count. */
export const FLUSH_NAS = `${COMMON}
return flush(ARGV[4])
`;
