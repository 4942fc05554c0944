-- Records what one answer says about its rate key's host (see RedisRequestGate.observe).
-- Times are milliseconds, with fractions, of Redis's clock; waits come back as whole microseconds.
--
-- KEYS: hold, fails, open. ARGV: what the answer was (hold, ok, fail), the hold ms, the failures
-- that open the circuit, probe interval ms, how long a run of failures or an open circuit is kept
-- without a failure to renew it, the channel that announces changes, and the rate key they name.
-- hold: {1 when the hold started or grew, µs it lasts from now}. ok: {1 when it closed the circuit}.
-- fail: {0, failures so far} while closed; {1, failures} when this one opened it; {2, µs to the next
-- probe} when it was open already.
-- A hold that starts or grows, a first failure, a circuit that opens and failures or a circuit that
-- end are published on the channel (see GateWatch), in the same script as the change, so that no
-- worker can read the change before it is announced.
local function announce(kind, ms)
  redis.call('PUBLISH', ARGV[6], kind .. ' ' .. ms .. ' ' .. ARGV[7])
end
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
local kind = ARGV[1]
if kind == 'ok' then
  local closed = redis.call('DEL', KEYS[3])
  if redis.call('DEL', KEYS[2]) + closed > 0 then announce('clear', 0) end
  return {closed, 0}
end
if kind == 'hold' then
  local wait = tonumber(ARGV[2])
  local current = tonumber(redis.call('GET', KEYS[1])) or 0
  if current >= now + wait then return {0, math.ceil((current - now) * 1000)} end
  redis.call('SET', KEYS[1], string.format('%.3f', now + wait), 'PX', ARGV[2])
  announce('hold', ARGV[2])
  return {1, wait * 1000}
end
local probe = redis.call('GET', KEYS[3])
if probe then
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  probe = tonumber(probe) or now
  if probe < now then probe = now end
  return {2, math.ceil((probe - now) * 1000)}
end
local n = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local threshold = tonumber(ARGV[3])
if threshold > 0 and n >= threshold then
  redis.call('SET', KEYS[3], string.format('%.3f', now + ARGV[4]), 'PX', ARGV[5])
  redis.call('DEL', KEYS[2])
  announce('open', 0)
  return {1, n}
end
if n == 1 then announce('fail', 0) end
return {0, n}
