-- Which of the given keys exist: the 1-based positions of those that do, in one command.
-- All keys are one queue's, so they share its hash slot and the script also runs on a Redis Cluster.
local found = {}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then found[#found + 1] = i end
end
return found
