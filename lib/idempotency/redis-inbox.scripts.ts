/**
 * The Lua scripts of {@link RedisInboxStore}. Each touches one key, so it is atomic and cluster-safe: the id
 * scripts touch the id's key, the index scripts the store's index key.
 */

// A claim is stored as `claim:<token>` and a commit as `done`, so no token can ever read as a commit.
export const CLAIM_PREFIX = 'claim:';
export const DONE = 'done';

// GET then SET inside one script instead of SET NX: a single round trip that also tells `in-progress` from
// `done` when the key exists.
export const CLAIM_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if v == '${DONE}' then return 'done' end
return 'in-progress'`;

export const COMMIT_SCRIPT = `
local v = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], '${DONE}', 'PX', ARGV[2])
if v == ARGV[1] then return 1 end
return 0`;

export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// PEXPIRE only while the key still holds this token's claim: never creates, never touches a commit.
export const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

// Deletes an evicted id only if it is still a commit (never someone's live claim).
export const EVICT_SCRIPT = `
if redis.call('GET', KEYS[1]) == '${DONE}' then return redis.call('DEL', KEYS[1]) end
return 0`;

// The index: a sorted set of committed ids scored by when they expire (the server's clock, so instances
// with skewed clocks agree). Drops the expired ones, adds this commit, and pops the oldest beyond the bound.
// ARGV: member, retention ms, max keys. Returns { ids held now, evicted member... }.
export const INDEX_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
local over = n - tonumber(ARGV[3])
local result = { n }
if over > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[1], over)
  for i = 1, #popped, 2 do result[#result + 1] = popped[i] end
  result[1] = n - over
end
return result`;

// Health: the server's memory facts and the live size of the index. Routed by the index key (a cluster
// reports the node holding it). Reading only, so it still answers when memory is over maxmemory.
export const HEALTH_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return { redis.call('INFO', 'memory'), redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf') }`;
