-- One namespace's use of its quotas now, read only (see redis-quotas.ts).
-- KEYS: running, starts, pushes, sizes, total. ARGV: now, window ms.
-- Answers {running monitors, starts in the window, early pushes, early push bytes}, expired entries not counted.
-- inChunks and bytesOf come from chunks.lua, put before this script.
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local running = redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
local started = redis.call('ZCOUNT', KEYS[2], '(' .. (now - window), '+inf')
local pushes = redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
local bytes = 0
if pushes > 0 then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
  bytes = (tonumber(redis.call('GET', KEYS[5])) or 0) - bytesOf(KEYS[4], expired)
end
return {running, started, pushes, bytes}
