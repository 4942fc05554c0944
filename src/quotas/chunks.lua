-- Helpers put before the quota scripts that read or write long lists (Script.fromFiles): Lua cannot import.
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
