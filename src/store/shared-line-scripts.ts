/**
 * The shared line's Lua scripts (store/shared-line.ts): each runs atomically in Redis, so that no two processes
 * can both take the last slot, or both find a line one short of full. Keys: `servers` (the servers with someone
 * waiting, in the order they are served in turn), `wait:<server>` (its line, job ids in arrival order),
 * `entry:<job>` (a waiting job's member, server and limits), `mwait:<member>` (the member's waiting jobs),
 * `run` (job → member|server|since: the jobs holding a slot), `run:m:<member>` and `run:s:<server>`, and
 * `last:<member>` (when the member's last clone started: the cooldown). A long text's other parts at the API hold
 * slots of their own, `<job>#<n>` in `run` and `run:s:<server>` (never in `run:m`: they are not more requests of
 * the member's), listed in `xtra:<job>` so that they go when their job's slot goes.
 */

/** Longer than the longest cooldown (an hour): a member's last start is forgotten after this. */
export const LAST_START_TTL_MS = 2 * 60 * 60 * 1000;

/** Shared by every script: ARGV[1] is the key prefix. */
const COMMON = `
local P = ARGV[1]
local function entryOf(id)
  local f = redis.call('HMGET', P..'entry:'..id, 'member', 'server', 'guild', 'perMember', 'perServer', 'cooldownMs', 'cooldown', 'shown')
  if not f[1] then return nil end
  return { id = id, member = f[1], server = f[2], guild = f[3], perMember = tonumber(f[4]), perServer = tonumber(f[5]),
    cooldownMs = tonumber(f[6]), cooldown = f[7], shown = f[8] or '' }
end
local function held(e, now, maxAtApi)
  if redis.call('SCARD', P..'run:m:'..e.member) >= e.perMember then return 'member', 0 end
  local last = redis.call('GET', P..'last:'..e.member)
  if last then
    local left = tonumber(last) + e.cooldownMs - now
    if left > 0 then return 'cooldown', left end
  end
  if e.guild == '1' and redis.call('SCARD', P..'run:s:'..e.server) >= e.perServer then return 'server', 0 end
  if redis.call('HLEN', P..'run') >= maxAtApi then return 'capacity', 0 end
  return false, 0
end
local function acquire(id, member, server, now, startsCooldown)
  redis.call('HSET', P..'run', id, member..'|'..server..'|'..now)
  redis.call('SADD', P..'run:m:'..member, id)
  redis.call('SADD', P..'run:s:'..server, id)
  if startsCooldown == '1' then redis.call('SET', P..'last:'..member, now, 'PX', ${LAST_START_TTL_MS}) end
end
local function removeWaiting(e)
  redis.call('LREM', P..'wait:'..e.server, 1, e.id)
  redis.call('SREM', P..'mwait:'..e.member, e.id)
  redis.call('DEL', P..'entry:'..e.id)
  if redis.call('LLEN', P..'wait:'..e.server) == 0 then redis.call('LREM', P..'servers', 0, e.server) end
end
local function pump(now, maxAtApi)
  local result = { -1 }
  for _ = 1, 1000 do
    if redis.call('HLEN', P..'run') >= maxAtApi then break end
    local picked = nil
    local soonest = -1
    local full = false
    -- Bounded work per call: a pump runs on every release, in every process.
    local budget = 5000
    for _, server in ipairs(redis.call('LRANGE', P..'servers', 0, -1)) do
      for _, id in ipairs(redis.call('LRANGE', P..'wait:'..server, 0, 999)) do
        budget = budget - 1
        local e = entryOf(id)
        if e then
          local reason, left = held(e, now, maxAtApi)
          if not reason then picked = e break end
          if reason == 'cooldown' and (soonest < 0 or left < soonest) then soonest = left end
          -- The server's cap holds back the rest of its line too; the global cap holds back everyone.
          if reason == 'server' then break end
          if reason == 'capacity' then full = true break end
        else
          redis.call('LREM', P..'wait:'..server, 1, id)
        end
        if budget <= 0 then break end
      end
      if picked or full or budget <= 0 then break end
    end
    if not picked then result[1] = soonest break end
    removeWaiting(picked)
    -- Served: its server goes to the back of the round, behind the others waiting.
    if redis.call('LLEN', P..'wait:'..picked.server) > 0 then
      redis.call('LREM', P..'servers', 0, picked.server)
      redis.call('RPUSH', P..'servers', picked.server)
    end
    acquire(picked.id, picked.member, picked.server, now, picked.cooldown)
    table.insert(result, picked.id)
  end
  return result
end
`;

/** ARGV: P, mode, id, member, server, guild, perMember, perServer, cooldownMs, memberWaiting, serverWaiting, maxAtApi, now, bounded, startsCooldown */
export const ADMIT = `${COMMON}
local mode, id, member, server = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, maxAtApi = tonumber(ARGV[13]), tonumber(ARGV[12])
if mode == 'join' and (redis.call('EXISTS', P..'entry:'..id) == 1 or redis.call('HEXISTS', P..'run', id) == 1) then return { 'already' } end
local e = { id = id, member = member, server = server, guild = ARGV[6], perMember = tonumber(ARGV[7]), perServer = tonumber(ARGV[8]),
  cooldownMs = tonumber(ARGV[9]) }
local reason, left = held(e, now, maxAtApi)
if not reason then
  if mode == 'check' then return { 'ok', '0' } end
  acquire(id, member, server, now, ARGV[15])
  return { 'start' }
end
if mode == 'check' or ARGV[14] == '1' then
  if redis.call('SCARD', P..'mwait:'..member) >= tonumber(ARGV[10]) then return { 'full', 'member-line-full' } end
  if redis.call('LLEN', P..'wait:'..server) >= tonumber(ARGV[11]) then return { 'full', 'server-line-full' } end
end
if mode == 'check' then return { 'ok', '1' } end
redis.call('HSET', P..'entry:'..id, 'member', member, 'server', server, 'guild', ARGV[6], 'perMember', ARGV[7], 'perServer', ARGV[8],
  'cooldownMs', ARGV[9], 'cooldown', ARGV[15], 'joinedAt', ARGV[13])
redis.call('SADD', P..'mwait:'..member, id)
local position = redis.call('RPUSH', P..'wait:'..server, id)
if position == 1 then redis.call('RPUSH', P..'servers', server) end
return { 'wait', tostring(position), reason, tostring(left) }
`;

/** ARGV: P, id, member, server, now */
export const FORCE = `${COMMON}
if redis.call('HEXISTS', P..'run', ARGV[2]) == 1 then return 0 end
local e = entryOf(ARGV[2])
if e then removeWaiting(e) end
acquire(ARGV[2], ARGV[3], ARGV[4], ARGV[5], '0')
return 1
`;

/**
 * ARGV: P, id ('' for none), maxAtApi, now, what ('all', or 'extras': only the extra slots of the job's parts).
 * An id `<job>#<n>` is one extra slot; a job's id frees its extra slots with it.
 */
export const RELEASE = `${COMMON}
local function free(key)
  local held = redis.call('HGET', P..'run', key)
  if held then
    local member, server = string.match(held, '^(.-)|(.-)|')
    redis.call('HDEL', P..'run', key)
    redis.call('SREM', P..'run:m:'..member, key)
    redis.call('SREM', P..'run:s:'..server, key)
  end
end
local id = ARGV[2]
if id ~= '' then
  local parent = string.match(id, '^(.*)#%d+$')
  if parent then
    redis.call('SREM', P..'xtra:'..parent, id)
    free(id)
  else
    for _, key in ipairs(redis.call('SMEMBERS', P..'xtra:'..id)) do free(key) end
    redis.call('DEL', P..'xtra:'..id)
    if ARGV[5] ~= 'extras' then free(id) end
  end
end
return pump(tonumber(ARGV[4]), tonumber(ARGV[3]))
`;

/**
 * ARGV: P, id, member, server, guild, perServer, maxAtApi, now, force. One more slot for another part of a running
 * job: those in line are served first (the pump), then the part takes a slot if one is free and its server is
 * under its cap (with force '1': whatever the limits, for a part already at the API). Replies the pump's result,
 * then the slot's key ('' for none).
 */
export const EXTRA = `${COMMON}
local id, member, server = ARGV[2], ARGV[3], ARGV[4]
local now, maxAtApi = tonumber(ARGV[8]), tonumber(ARGV[7])
local result = pump(now, maxAtApi)
local key = ''
local free = ARGV[9] == '1' or (redis.call('HLEN', P..'run') < maxAtApi
  and (ARGV[5] ~= '1' or redis.call('SCARD', P..'run:s:'..server) < tonumber(ARGV[6])))
if redis.call('HEXISTS', P..'run', id) == 1 and free then
  key = id..'#'..redis.call('INCR', P..'xtra-seq')
  redis.call('HSET', P..'run', key, member..'|'..server..'|'..now)
  redis.call('SADD', P..'run:s:'..server, key)
  redis.call('SADD', P..'xtra:'..id, key)
end
table.insert(result, key)
return result
`;

/** ARGV: P, maxAtApi, now. Frees the extra slots whose job holds no slot any more (left by an older version, say). */
export const ORPHANS = `${COMMON}
local freed = 0
for _, key in ipairs(redis.call('HKEYS', P..'run')) do
  local parent = string.match(key, '^(.*)#%d+$')
  if parent and redis.call('HEXISTS', P..'run', parent) == 0 then
    local member, server = string.match(redis.call('HGET', P..'run', key), '^(.-)|(.-)|')
    redis.call('HDEL', P..'run', key)
    redis.call('SREM', P..'run:s:'..server, key)
    redis.call('SREM', P..'xtra:'..parent, key)
    freed = freed + 1
  end
end
if freed == 0 then return { -1 } end
return pump(tonumber(ARGV[3]), tonumber(ARGV[2]))
`;

/** ARGV: P, id */
export const LEAVE = `${COMMON}
local e = entryOf(ARGV[2])
if e then removeWaiting(e) return 'left' end
if redis.call('HEXISTS', P..'run', ARGV[2]) == 1 then return 'running' end
return 'none'
`;

/** ARGV: P, maxAtApi, now */
export const SNAPSHOT = `${COMMON}
local out = {}
local now, maxAtApi = tonumber(ARGV[3]), tonumber(ARGV[2])
for _, server in ipairs(redis.call('LRANGE', P..'servers', 0, -1)) do
  for position, id in ipairs(redis.call('LRANGE', P..'wait:'..server, 0, 1999)) do
    local e = entryOf(id)
    if e then
      local reason, left = held(e, now, maxAtApi)
      table.insert(out, id) table.insert(out, tostring(position)) table.insert(out, reason or 'capacity')
      table.insert(out, tostring(left)) table.insert(out, e.shown)
    end
  end
end
return out
`;

/** ARGV: P, id, shown. Only while it still waits: a job that started meanwhile must not get its entry back. */
export const MARK = `local P = ARGV[1]
if redis.call('EXISTS', P..'entry:'..ARGV[2]) == 1 then redis.call('HSET', P..'entry:'..ARGV[2], 'shown', ARGV[3]) end
return 1`;
