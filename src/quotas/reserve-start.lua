-- Reserves running-monitor slots and starts-per-second budget for a start of one or more monitors
-- of one namespace (see redis-quotas.ts), all or none.
-- KEYS[1] running: sorted set, a monitor key per running monitor, scored by its expireAt + margin
-- KEYS[2] starts:  sorted set, `<now>:<monitor key>` per start, scored by its time
-- ARGV: now, running limit, starts limit (-1: none), margin ms, window ms, running retry hint ms,
--       then a monitor key and its expireAt per monitor.
-- Answers {1, key...}: admitted, with the keys that were new (what an undo removes); or
-- {0, quota, retryAfterMs, used, limit, requested}: refused (1 running, 2 starts), nothing written.
-- A refusal reads only, so that a client kept at its quota costs Redis no writes; expired
-- entries are pruned by the next admitted start instead.
local now = tonumber(ARGV[1])
local runningLimit = tonumber(ARGV[2])
local startsLimit = tonumber(ARGV[3])
local margin = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local retryHint = tonumber(ARGV[6])

-- New: not in the set, or in it with a passed score (a monitor that ended without a release).
-- A key named twice in one batch counts once.
local new, newScores, seen = {}, {}, {}
for i = 7, #ARGV, 2 do
  local key = ARGV[i]
  if not seen[key] then
    seen[key] = true
    local score = redis.call('ZSCORE', KEYS[1], key)
    if not score or tonumber(score) <= now then
      new[#new + 1] = key
      newScores[#newScores + 1] = tonumber(ARGV[i + 1]) + margin
    end
  end
end
if #new == 0 then return {1} end

local running = redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
if runningLimit >= 0 and running + #new > runningLimit then
  -- A slot frees when a monitor ends, which no one can foresee; the first expiry is the latest it comes.
  local retry = retryHint
  local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if first[2] then retry = math.min(retry, tonumber(first[2]) - now) end
  return {0, 1, math.max(retry, 1), running, runningLimit, #new}
end

local since = now - window
local started = redis.call('ZCOUNT', KEYS[2], '(' .. since, '+inf')
if startsLimit >= 0 and started + #new > startsLimit then
  -- Room for the batch comes when enough of the window's starts have left it: the k-th oldest.
  local retry = window
  local leaving = started + #new - startsLimit
  if leaving <= started then
    local oldest = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. since, '+inf', 'WITHSCORES', 'LIMIT', leaving - 1, 1)
    if oldest[2] then retry = tonumber(oldest[2]) + window - now end
  end
  return {0, 2, math.max(retry, 1), started, startsLimit, #new}
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', since)
for i, key in ipairs(new) do
  redis.call('ZADD', KEYS[1], newScores[i], key)
  redis.call('ZADD', KEYS[2], now, ARGV[1] .. ':' .. key)
end
-- Both sets go by themselves once every entry has passed, should the namespace fall silent.
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(last[2]) - now, 1) + window)
redis.call('PEXPIRE', KEYS[2], 2 * window)
local answer = {1}
for _, key in ipairs(new) do answer[#answer + 1] = key end
return answer
