import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Hold } from '../monitor/hold.ts';
import type { StatusReading } from '../monitor/reading.ts';
import type { Admission, HostGate } from '../monitor/request-gate.ts';
import { hostSignalOf } from '../monitor/host-signal.ts';
import { emissionIntervalMs, limitFor, NO_RATE_LIMITS, type RateLimits } from '../monitor/rate-limits.ts';

/**
 * The RequestGate of a deployment, shared by all its worker processes through Redis. Per rate key,
 * five small keys in one hash slot (`<prefix>:limits:{<key>}:…`, so that one script touches one
 * node of a Redis Cluster):
 * - `tat`: the GCRA's theoretical arrival time, the next free request slot (when the key has a limit);
 * - `hold`: until when a Retry-After holds the key (the later of two wins);
 * - `fails`: failed requests in a row; `open`: the circuit is open; `probe`: the current probe slot.
 * One script per admit reads them all; times are Redis's own clock (TIME), so that the workers'
 * clocks need not agree. A wait goes back to the caller as milliseconds from now.
 */

export interface RedisGateOptions {
  /** JOBWATCH_PREFIX: the keys live under `<prefix>:limits:`. */
  prefix: string;
  /** JOBWATCH_RATE_LIMITS. @defaultValue none: holds and circuits only */
  limits?: RateLimits;
  /** JOBWATCH_HOST_FAILURES: failed requests in a row, across a key's monitors, that open its circuit; 0: no circuits. */
  hostFailures: number;
  /** JOBWATCH_HOST_PROBE_EVERY: while a circuit is open, one request is let through this often. */
  probeEveryMs: number;
  /** Told when a circuit opens or closes, or a host asks to wait, once across all workers. */
  events?: GateEvents;
  /** @defaultValue Date.now */
  clock?: () => number;
  /** @defaultValue Math.random */
  random?: () => number;
}

export interface GateEvents {
  circuitOpened?(event: { key: string; failures: number; probeEveryMs: number }): void;
  circuitClosed?(event: { key: string }): void;
  retryAfter?(event: { key: string; waitMs: number }): void;
  /** Recording an answer failed (Redis did not take it); the answer itself stands. */
  observeFailed?(event: { key: string; error: unknown }): void;
}

/** One Redis server or a Redis Cluster (the worker's connection). */
type RedisConnection = Redis | Cluster;

/**
 * How far ahead of the actual send rate a request may go: the sends of a key keep to its limit
 * give or take this (GCRA's tolerance), however late the polls that reserved their slots come back.
 */
export const SEND_TOLERANCE_MS = 50;
/** A poll this much before its reserved slot (timer rounding) is on it. */
const RESERVATION_EARLY_MS = 5;

/** A held poll comes back spread over this share of its wait (at least SPREAD_MIN_MS), so that a fleet held together does not return together. */
const SPREAD_SHARE = 0.25;
const SPREAD_MIN_MS = 250;

/** How long a key's run of failures and its open circuit are kept without a request to refresh them. */
const STATE_TTL_MS = 24 * 3_600_000;

// KEYS: tat, sent, hold, fails, open, probe. ARGV: interval ms (0: no limit), reserved (1: the poll
// is back at the slot it reserved), probe interval ms, send tolerance ms.
// `tat` books slots: each request takes the next, one interval apart, and a request over the limit
// waits for its own (so that a crowd held together comes back one by one). `sent` is the GCRA of
// the requests actually let through: a poll back late on its slot, when others took the capacity
// meanwhile, books a new slot rather than going over the limit.
const ADMIT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local fails = tonumber(redis.call('GET', KEYS[4]) or '0')
local holdUntil = tonumber(redis.call('GET', KEYS[3]) or '0')
if holdUntil > now then return {2, string.format('%.3f', holdUntil - now), fails} end
if redis.call('EXISTS', KEYS[5]) == 1 then
  if redis.call('SET', KEYS[6], '1', 'NX', 'PX', ARGV[3]) then return {4, '0', fails} end
  local ttl = redis.call('PTTL', KEYS[6])
  if ttl < 0 then ttl = tonumber(ARGV[3]) end
  return {3, tostring(ttl), fails}
end
local interval = tonumber(ARGV[1])
if interval > 0 then
  local tolerance = tonumber(ARGV[4])
  local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
  local sent = tonumber(redis.call('GET', KEYS[2]) or '0')
  local free = sent - tolerance <= now
  if ARGV[2] ~= '1' or not free then
    local slot = math.max(tat, now)
    if slot > now or not free then
      slot = math.max(slot, sent - tolerance)
      redis.call('SET', KEYS[1], string.format('%.3f', slot + interval), 'PX', math.ceil(slot + interval - now) + 1000)
      return {1, string.format('%.3f', slot - now), fails}
    end
    redis.call('SET', KEYS[1], string.format('%.3f', now + interval), 'PX', math.ceil(interval) + 1000)
  end
  if sent < now then sent = now end
  redis.call('SET', KEYS[2], string.format('%.3f', sent + interval), 'PX', math.ceil(sent + interval - now) + 1000)
end
return {0, '0', fails}
`;

const OBSERVE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local kind = ARGV[1]
if kind == 'hold' then
  local wait = tonumber(ARGV[2])
  local current = tonumber(redis.call('GET', KEYS[1]) or '0')
  if current >= now + wait then return {0, string.format('%.3f', current - now)} end
  redis.call('SET', KEYS[1], string.format('%.3f', now + wait), 'PX', math.ceil(wait))
  return {1, ARGV[2]}
end
if kind == 'ok' then
  local closed = redis.call('DEL', KEYS[3])
  redis.call('DEL', KEYS[2], KEYS[4])
  return {closed, '0'}
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  local ttl = redis.call('PTTL', KEYS[4])
  if ttl < 0 then ttl = 0 end
  return {2, tostring(ttl)}
end
local n = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local threshold = tonumber(ARGV[3])
if threshold > 0 and n >= threshold then
  redis.call('SET', KEYS[3], string.format('%.0f', now), 'PX', ARGV[5])
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[4])
  redis.call('DEL', KEYS[2])
  return {1, tostring(n)}
end
return {0, tostring(n)}
`;

const ADMITTED = 0;
const RATE_LIMITED = 1;
const RETRY_AFTER = 2;
const CIRCUIT_OPEN = 3;
const PROBE = 4;

export class RedisRequestGate implements HostGate {
  private readonly limits: RateLimits;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly admitScript = new Script(ADMIT_LUA);
  private readonly observeScript = new Script(OBSERVE_LUA);

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisGateOptions,
  ) {
    this.limits = options.limits ?? NO_RATE_LIMITS;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** The Redis keys of a rate key, in the order the scripts take them. */
  keysOf(key: string): { tat: string; sent: string; hold: string; fails: string; open: string; probe: string } {
    // Encoded, so that no key can end the hash tag early or reach into another's keys.
    const base = `${this.options.prefix}:limits:{${encodeURIComponent(key)}}`;
    return { tat: `${base}:tat`, sent: `${base}:sent`, hold: `${base}:hold`, fails: `${base}:fails`, open: `${base}:open`, probe: `${base}:probe` };
  }

  async admit(key: string): Promise<Hold | undefined> {
    return (await this.admitRequest(key)).hold;
  }

  /** Never throws: an answer that cannot be recorded is reported to `events.observeFailed`. */
  async observe(key: string, reading: StatusReading): Promise<void> {
    await this.observeRequest(key, reading);
  }

  /**
   * Before one request to `key`. `reservation`: the hold the poll waited under; a rate-limit hold
   * of this key, come due, is the slot this request uses instead of booking another.
   */
  async admitRequest(key: string, reservation?: Hold): Promise<Admission> {
    const limit = limitFor(this.limits, key);
    const interval = limit ? emissionIntervalMs(limit) : 0;
    const now = this.clock();
    const reserved = reservation !== undefined && reservation.reason === 'rate-limit' && reservation.key === key &&
      now >= reservation.until - RESERVATION_EARLY_MS;
    const k = this.keysOf(key);
    const [code, waitText, failures] = (await this.admitScript.run(this.redis, [k.tat, k.sent, k.hold, k.fails, k.open, k.probe], [
      interval.toFixed(3), reserved ? '1' : '0', String(this.options.probeEveryMs), String(SEND_TOLERANCE_MS),
    ])) as [number, string, number];
    const wait = Number(waitText);
    switch (code) {
      case RATE_LIMITED:
        // Exactly its slot: the slot is this poll's, and the next poll's is one interval later.
        return { hold: { key, reason: 'rate-limit', until: now + Math.ceil(wait) }, probe: false, failures };
      case RETRY_AFTER:
        return { hold: { key, reason: 'retry-after', until: this.spreadUntil(now, wait) }, probe: false, failures };
      case CIRCUIT_OPEN:
        return { hold: { key, reason: 'circuit-open', until: this.spreadUntil(now, wait) }, probe: false, failures };
      case PROBE:
        return { probe: true, failures };
      default:
        return { probe: false, failures };
    }
  }

  /**
   * After one request to `key`: records what its answer says about the host (see hostSignalOf).
   * Returns the hold the answer itself turns into, if any: a 429 or 503 with Retry-After (the
   * monitor waits with the others rather than counting a failure), or a failure while the circuit
   * is open (a failed probe, or a request sent before it opened), which burns no error budget.
   * The failure that opens the circuit is a failed check as usual. Never throws: when Redis does
   * not take the answer, it is reported to `events.observeFailed` and the answer stands as it is.
   */
  async observeRequest(key: string, reading: StatusReading, admission?: Admission): Promise<Hold | undefined> {
    try {
      return await this.record(key, reading, admission);
    } catch (error) {
      this.options.events?.observeFailed?.({ key, error });
      return undefined;
    }
  }

  private async record(key: string, reading: StatusReading, admission: Admission | undefined): Promise<Hold | undefined> {
    const signal = hostSignalOf(reading);
    if (signal.kind === 'neutral') return undefined;
    // Most answers are good ones to a host with no failures: nothing to write.
    if (signal.kind === 'ok' && admission && admission.failures === 0 && !admission.probe) return undefined;
    const k = this.keysOf(key);
    const now = this.clock();
    const [code, value] = (await this.observeScript.run(this.redis, [k.hold, k.fails, k.open, k.probe], [
      signal.kind === 'retry-after' ? 'hold' : signal.kind,
      signal.kind === 'retry-after' ? String(signal.ms) : '0',
      String(this.options.hostFailures), String(this.options.probeEveryMs), String(STATE_TTL_MS),
    ])) as [number, string];
    const events = this.options.events;
    if (signal.kind === 'retry-after') {
      const wait = Number(value);
      if (code === 1) events?.retryAfter?.({ key, waitMs: wait });
      return { key, reason: 'retry-after', until: this.spreadUntil(now, wait) };
    }
    if (signal.kind === 'ok') {
      if (code === 1) events?.circuitClosed?.({ key });
      return undefined;
    }
    if (code === 1) {
      events?.circuitOpened?.({ key, failures: Number(value), probeEveryMs: this.options.probeEveryMs });
      return undefined;
    }
    if (code === 2) return { key, reason: 'circuit-open', until: this.spreadUntil(now, Number(value)) };
    return undefined;
  }

  /** The end of a host-wide wait, plus a random share of it, so that the monitors it held come back spread. */
  private spreadUntil(now: number, waitMs: number): number {
    return now + Math.ceil(waitMs + this.random() * Math.max(SPREAD_MIN_MS, waitMs * SPREAD_SHARE));
  }
}

/** A Lua script run by its hash, loaded (EVAL) only where a Redis node has not seen it yet. */
class Script {
  private readonly sha: string;
  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: RedisConnection, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
