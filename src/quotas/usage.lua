-- One namespace's use of its quotas now, read only (see redis-quotas.ts).
-- KEYS: running, starts, pushes, sizes, total. ARGV: now, window ms.
-- Answers {running monitors, starts in the window, early pushes, early push bytes}, expired entries not counted.
-- Lua's unpack takes a few thousand values at most: long lists go to Redis in chunks.
local CHUNK = 1000
local function inChunks(command, key, members)
  local answers = {}
  for i = 1, #members, CHUNK do
    local part = redis.call(command, key, unpack(members, i, math.min(i + CHUNK - 1, #members)))
    if type(part) == 'table' then for _, value in ipairs(part) do answers[#answers + 1] = value end end
  end
  return answers
end
local function bytesOf(sizes, members)
  local sum = 0
  for _, size in ipairs(inChunks('HMGET', sizes, members)) do sum = sum + (tonumber(size) or 0) end
  return sum
end

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
