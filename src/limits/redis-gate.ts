import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Hold } from '../monitor/hold.ts';
import { gateKeysOf, type GateKeys } from './gate-keys.ts';
import type { StatusReading } from '../monitor/reading.ts';
import type { Admission, HostGate } from '../monitor/request-gate.ts';
import { hostSignalOf } from '../monitor/host-signal.ts';
import { emissionIntervalMs, limitFor, NO_RATE_LIMITS, type RateLimits } from '../monitor/rate-limits.ts';

/**
 * The RequestGate of a deployment, shared by all its worker processes through Redis. Per rate key,
 * four small keys under one hash tag, `<prefix>:limits:{<key>}:…` (the key URL-encoded), so that
 * one script touches one node of a Redis Cluster:
 * - `rate`: `tat,sent`: the GCRA's next free slot to hand out, and the GCRA of the requests actually
 *   let through (see ADMIT_LUA); only while the key has a limit, expiring once both have passed;
 * - `hold`: until when a Retry-After holds the key (a later one extends it, an earlier one does not cut it);
 * - `fails`: failed requests in a row; `open`: the circuit is open, and when its next probe may go.
 * One script per admit reads them all (one MGET) and writes at most one; times are Redis's own
 * clock (TIME), so that the workers' clocks need not agree. A wait goes back to the caller as
 * microseconds from then.
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
 * GCRA's tolerance: how far ahead of the limit's pace requests may go. A request whose slot is this
 * near goes at once (so that polls due together under a loose limit are not held for a fraction of
 * a millisecond), and the requests sent keep to the limit give or take this, however late the polls
 * that reserved their slots come back.
 */
export const SEND_TOLERANCE_MS = 25;
/** A poll this much before its reserved slot (timer rounding) is on it. */
const RESERVATION_EARLY_MS = 5;

/** A held poll comes back spread over this share of its wait (at least SPREAD_MIN_MS), so that a fleet held together does not return together. */
const SPREAD_SHARE = 0.25;
const SPREAD_MIN_MS = 250;

/** How long a key's run of failures, or its open circuit, is kept without another failure to renew it. */
const STATE_TTL_MS = 24 * 3_600_000;

// Times are milliseconds, with fractions, of Redis's clock; waits come back as whole microseconds.

// KEYS: rate, hold, fails, open. ARGV: interval ms (0: no limit), probe interval ms, tolerance ms,
// and one character per request admitted together (1: the poll is back at the slot it reserved).
// `tat` books slots: each request takes the next, one interval apart; one whose slot is within the
// tolerance goes now, and one over the limit waits for its own (so that a crowd held together
// comes back one by one). `sent` is the GCRA of the requests actually let through, with the same
// tolerance: a poll back late on its slot, when others took the capacity meanwhile, books a new
// slot rather than going over the limit.
// Returns {failures, code, wait µs, code, wait µs, ...}, a pair per request in order: code 0
// admitted, 1 rate-limited, 2 Retry-After, 3 circuit open, 4 the probe.
const ADMIT_LUA = `
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
`;

// KEYS: hold, fails, open. ARGV: what the answer was (hold, ok, fail), the hold ms, the failures
// that open the circuit, probe interval ms, how long a run of failures or an open circuit is kept
// without a failure to renew it.
// hold: {1 when the hold started or grew, µs it lasts from now}. ok: {1 when it closed the circuit}.
// fail: {0, failures so far} while closed; {1, failures} when this one opened it; {2, µs to the next
// probe} when it was open already.
const OBSERVE_LUA = `
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
local kind = ARGV[1]
if kind == 'ok' then
  local closed = redis.call('DEL', KEYS[3])
  redis.call('DEL', KEYS[2])
  return {closed, 0}
end
if kind == 'hold' then
  local wait = tonumber(ARGV[2])
  local current = tonumber(redis.call('GET', KEYS[1])) or 0
  if current >= now + wait then return {0, math.ceil((current - now) * 1000)} end
  redis.call('SET', KEYS[1], string.format('%.3f', now + wait), 'PX', ARGV[2])
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
  return {1, n}
end
return {0, n}
`;

/** Most admits of one key sent to Redis in one script (the script loops over them). */
const MAX_ADMITS_PER_SCRIPT = 500;

interface PendingAdmit {
  reserved: boolean;
  resolve(admission: Admission): void;
  reject(error: unknown): void;
}

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
  /** Admits waiting for this turn of the event loop to end, by rate key. */
  private readonly pending = new Map<string, { requests: PendingAdmit[] }>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisGateOptions,
  ) {
    this.limits = options.limits ?? NO_RATE_LIMITS;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** The Redis keys of a rate key's state, under one hash tag. */
  keysOf(key: string): GateKeys {
    return gateKeysOf(this.options.prefix, key);
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
   * of this key, come due, is the slot this request uses instead of booking another. Admits of one
   * key asked for in the same turn of the event loop go to Redis together, in one script, in order.
   */
  admitRequest(key: string, reservation?: Hold): Promise<Admission> {
    const reserved = reservation !== undefined && reservation.reason === 'rate-limit' && reservation.key === key &&
      this.clock() >= reservation.until - RESERVATION_EARLY_MS;
    return new Promise<Admission>((resolve, reject) => {
      let batch = this.pending.get(key);
      if (!batch || batch.requests.length >= MAX_ADMITS_PER_SCRIPT) {
        batch = { requests: [] };
        this.pending.set(key, batch);
        const flushing = batch;
        setImmediate(() => {
          if (this.pending.get(key) === flushing) this.pending.delete(key);
          this.flush(key, flushing.requests);
        });
      }
      batch.requests.push({ reserved, resolve, reject });
    });
  }

  private flush(key: string, requests: readonly PendingAdmit[]): void {
    const limit = limitFor(this.limits, key);
    const interval = limit ? emissionIntervalMs(limit) : 0;
    const k = this.keysOf(key);
    const flags = requests.map((request) => (request.reserved ? '1' : '0')).join('');
    this.admitScript.run(this.redis, [k.rate, k.hold, k.fails, k.open], [
      String(interval), String(this.options.probeEveryMs), String(SEND_TOLERANCE_MS), flags,
    ]).then((reply) => {
      const answers = reply as number[];
      const failures = answers[0]!;
      // A wait counts from when Redis ran the script; counted from its answer, a hold ends a round
      // trip late rather than early.
      const now = this.clock();
      for (const [i, request] of requests.entries()) request.resolve(this.admission(key, answers[2 * i + 1]!, answers[2 * i + 2]! / 1_000, failures, now));
    }, (error: unknown) => {
      for (const request of requests) request.reject(error);
    });
  }

  private admission(key: string, code: number, wait: number, failures: number, now: number): Admission {
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
    const [code, value] = (await this.observeScript.run(this.redis, [k.hold, k.fails, k.open], [
      signal.kind === 'retry-after' ? 'hold' : signal.kind,
      signal.kind === 'retry-after' ? String(signal.ms) : '0',
      String(this.options.hostFailures), String(this.options.probeEveryMs), String(STATE_TTL_MS),
    ])) as [number, number];
    const now = this.clock();
    const events = this.options.events;
    if (signal.kind === 'retry-after') {
      const wait = value / 1_000;
      if (code === 1) events?.retryAfter?.({ key, waitMs: wait });
      return { key, reason: 'retry-after', until: this.spreadUntil(now, wait) };
    }
    if (signal.kind === 'ok') {
      if (code === 1) events?.circuitClosed?.({ key });
      return undefined;
    }
    if (code === 1) {
      events?.circuitOpened?.({ key, failures: value, probeEveryMs: this.options.probeEveryMs });
      return undefined;
    }
    if (code === 2) return { key, reason: 'circuit-open', until: this.spreadUntil(now, value / 1_000) };
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
