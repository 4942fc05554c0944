-- Admits the requests to one rate key asked for together (see RedisRequestGate.admit).
-- Times are milliseconds, with fractions, of Redis's clock; waits come back as whole microseconds.
--
-- KEYS: rate, hold, fails, open. ARGV: interval ms (0: no limit), probe interval ms, tolerance ms,
-- and one character per request admitted together (1: the poll is back at the slot it reserved).
-- `tat` books slots: each request takes the next, one interval apart; one whose slot is within the
-- tolerance goes now, and one over the limit waits for its own (so that a crowd held together
-- comes back one by one). `sent` is the GCRA of the requests actually let through, with the same
-- tolerance: a poll back late on its slot, when others took the capacity meanwhile, books a new
-- slot rather than going over the limit.
-- Returns {failures, code, wait µs, code, wait µs, ...}, a pair per request in order: code 0
-- admitted, 1 rate-limited, 2 Retry-After, 3 circuit open, 4 the probe.
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
local v = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local flags = ARGV[4]
local n = #flags
local out = {tonumber(v[3]) or 0}
local function all(code, wait)
  for i = 1, n do out[2 * i] = code; out[2 * i + 1] = wait end
  return out
end
local hold = tonumber(v[2])
if hold and hold > now then return all(2, math.ceil((hold - now) * 1000)) end
if v[4] then
  local probe = tonumber(v[4]) or 0
  if probe > now then return all(3, math.ceil((probe - now) * 1000)) end
  redis.call('SET', KEYS[4], string.format('%.3f', now + ARGV[2]), 'KEEPTTL')
  all(3, ARGV[2] * 1000)
  out[2] = 4; out[3] = 0
  return out
end
local interval = tonumber(ARGV[1])
if interval <= 0 then return all(0, 0) end
local tat, sent = 0, 0
if v[1] then
  local a, b = string.match(v[1], '^([^,]+),(.+)$')
  tat, sent = tonumber(a) or 0, tonumber(b) or 0
end
local tolerance = tonumber(ARGV[3])
for i = 1, n do
  local free = sent - tolerance <= now
  if sent < now then sent = now end
  local code, wait = 0, 0
  if string.byte(flags, i) == 49 and free then
    -- On the slot it reserved: the slots handed out stay as they are.
    sent = sent + interval
  else
    local slot = tat
    if slot < now then slot = now end
    if slot - tolerance > now or not free then
      if slot < sent - tolerance then slot = sent - tolerance end
      code, wait = 1, math.ceil((slot - now) * 1000)
    else
      sent = sent + interval
    end
    tat = slot + interval
  end
  out[2 * i] = code; out[2 * i + 1] = wait
end
redis.call('SET', KEYS[1], string.format('%.3f,%.3f', tat, sent), 'PX', math.ceil(math.max(tat, sent) - now) + 1000)
return out
