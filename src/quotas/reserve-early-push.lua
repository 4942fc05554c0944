-- Counts one early push of one namespace (see redis-quotas.ts): admitted or refused, never half.
-- KEYS[1] pushes: sorted set, a monitor key per early push kept, scored by when it expires
-- KEYS[2] sizes:  hash, the bytes of each
-- KEYS[3] total:  the bytes of all of them, expired ones included until they are pruned
-- ARGV: now, monitor key, bytes, expiresAt, count limit, bytes limit (-1: none)
-- Answers {1}: admitted (a push for a key kept already replaces it: its bytes and its expiry); or
-- {0, quota, retryAfterMs, used, limit, requested}: refused (3 count, 4 bytes), nothing written.
-- inChunks and bytesOf come from chunks.lua, put before this script.
local now = tonumber(ARGV[1])
local key = ARGV[2]
local bytes = tonumber(ARGV[3])
local expiresAt = tonumber(ARGV[4])
local countLimit = tonumber(ARGV[5])
local bytesLimit = tonumber(ARGV[6])

local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
local expiredBytes = bytesOf(KEYS[2], expired)
local count = redis.call('ZCARD', KEYS[1]) - #expired
local total = (tonumber(redis.call('GET', KEYS[3])) or 0) - expiredBytes

local replaced = 0
local score = redis.call('ZSCORE', KEYS[1], key)
local live = score and tonumber(score) > now
if live then replaced = tonumber(redis.call('HGET', KEYS[2], key)) or 0 end

-- The first kept push to expire is the soonest anything frees; the key's own replaced push aside.
local function retryAfter()
  local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if first[2] then return math.max(tonumber(first[2]) - now, 1) end
  return math.max(expiresAt - now, 1)
end

if not live and countLimit >= 0 and count + 1 > countLimit then
  return {0, 3, retryAfter(), count, countLimit, 1}
end
if bytesLimit >= 0 and total - replaced + bytes > bytesLimit and bytes > replaced then
  return {0, 4, retryAfter(), total, bytesLimit, bytes}
end

inChunks('ZREM', KEYS[1], expired)
inChunks('HDEL', KEYS[2], expired)
redis.call('ZADD', KEYS[1], expiresAt, key)
redis.call('HSET', KEYS[2], key, bytes)
redis.call('SET', KEYS[3], total - replaced + bytes)
-- All three go by themselves once every push has expired, should the namespace fall silent.
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local ttl = math.max(tonumber(last[2]) - now, 1)
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
return {1}
