-- Forgets one early push of one namespace (its monitor took it); nothing when it is not kept.
-- KEYS: pushes, sizes, total (as reserve-early-push.lua). ARGV[1]: the monitor key.
-- Answers 1 when a push was forgotten, 0 when there was none.
local size = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
if not size then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
else
  redis.call('DECRBY', KEYS[3], size)
end
return 1
