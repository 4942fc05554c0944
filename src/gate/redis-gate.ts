import type { Hold } from '../monitor/gate/hold.ts';
import { holdOf, hostSignalOf, isOnReservedSlot, needsRecording, SEND_TOLERANCE_MS } from '../monitor/gate/decisions.ts';
import { emissionIntervalMs, limitFor, NO_RATE_LIMITS, type RateLimits } from '../monitor/gate/rate-limits.ts';
import type { Admission, RequestGate } from '../monitor/gate/request-gate.ts';
import type { StatusReading } from '../monitor/reading.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { Script } from '../redis/script.ts';
import { gateKeysOf, type GateKeys } from './gate-keys.ts';
import { GateWatch } from './gate-watch.ts';

/**
 * The RequestGate of a deployment, shared by all its worker processes through Redis. Per rate key,
 * four small keys under one hash tag, `<prefix>:limits:{<key>}:…` (the key URL-encoded), so that
 * one script touches one node of a Redis Cluster:
 * - `rate`: `tat,sent`: the GCRA's next free slot to hand out, and the GCRA of the requests actually
 *   let through (see admit.lua); only while the key has a limit, expiring once both have passed;
 * - `hold`: until when a Retry-After holds the key (a later one extends it, an earlier one does not cut it);
 * - `fails`: failed requests in a row; `open`: the circuit is open, and when its next probe may go.
 * One script per admit reads them all (one MGET) and writes at most one; times are Redis's own
 * clock (TIME), so that the workers' clocks need not agree. A wait goes back to the caller as
 * microseconds from then. What the answers mean is decided in monitor/gate/decisions.ts.
 */

/** What the gate is configured with, for admitting requests and for reading its state back alike. */
export interface GateSettings {
  /** JOBWATCH_PREFIX: the keys live under `<prefix>:limits:`. */
  prefix: string;
  /** JOBWATCH_RATE_LIMITS. @defaultValue none: holds and circuits only */
  limits?: RateLimits;
  /** JOBWATCH_HOST_FAILURES: failed requests in a row, across a key's monitors, that open its circuit; 0: no circuits. */
  hostFailures: number;
  /** JOBWATCH_HOST_PROBE_EVERY: while a circuit is open, one request is let through this often. */
  probeEveryMs: number;
}

export interface RedisGateOptions extends GateSettings {
  /** Told when a circuit opens or closes, or a host asks to wait, once across all workers. */
  events?: GateEvents;
  /** @defaultValue Date.now */
  clock?: () => number;
  /** @defaultValue Math.random */
  random?: () => number;
  /**
   * This worker's copy of which keys the gate acts on: a request to a key with no rate limit that
   * the copy says nothing of is admitted without a round trip. @defaultValue none: every admit asks Redis
   */
  watch?: GateWatch;
}

export interface GateEvents {
  circuitOpened?(event: { key: string; failures: number; probeEveryMs: number }): void;
  circuitClosed?(event: { key: string }): void;
  retryAfter?(event: { key: string; waitMs: number }): void;
  /** Recording an answer failed (Redis did not take it); the answer itself stands. */
  observeFailed?(event: { key: string; error: unknown }): void;
}

/** The scripts, beside this file as BullMQ keeps its own; the build copies them into dist/. */
const ADMIT = Script.fromFile(new URL('./admit.lua', import.meta.url));
const OBSERVE = Script.fromFile(new URL('./observe.lua', import.meta.url));

/** How long a key's run of failures, or its open circuit, is kept without another failure to renew it. */
const STATE_TTL_MS = 24 * 3_600_000;

/** Most admits of one key sent to Redis in one script (the script loops over them). */
const MAX_ADMITS_PER_SCRIPT = 500;

/** admit.lua's answer codes, a pair per request. */
const RATE_LIMITED = 1;
const RETRY_AFTER = 2;
const CIRCUIT_OPEN = 3;
const PROBE = 4;

/** The admission of a request nothing acts on. */
const NOTHING_ACTS: Admission = Object.freeze({ probe: false, failures: 0 });

interface PendingAdmit {
  reserved: boolean;
  resolve(admission: Admission): void;
  reject(error: unknown): void;
}

export class RedisRequestGate implements RequestGate {
  private readonly limits: RateLimits;
  private readonly clock: () => number;
  private readonly random: () => number;
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

  /**
   * Before one request to `key`. `reservation`: the hold the poll waited under; a rate-limit hold
   * of this key, come due, is the slot this request uses instead of booking another. Admits of one
   * key asked for in the same turn of the event loop go to Redis together, in one script, in order.
   */
  admit(key: string, reservation?: Hold): Promise<Admission> {
    // Nothing would hold it: no limit books its slots, and the copy (trusted) knows of no hold,
    // failure or circuit. A good answer then has nothing to record either (see needsRecording).
    if (this.options.watch?.isQuiet(key) && !limitFor(this.limits, key)) return Promise.resolve(NOTHING_ACTS);
    const reserved = isOnReservedSlot(key, reservation, this.clock());
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
    const mark = this.options.watch?.view.mark();
    ADMIT.run(this.redis, 4, [
      k.rate, k.hold, k.fails, k.open, String(interval), String(this.options.probeEveryMs), String(SEND_TOLERANCE_MS), flags,
    ]).then((reply) => {
      const answers = reply as number[];
      const failures = answers[0]!;
      // A wait counts from when Redis ran the script; counted from its answer, a hold ends a round
      // trip late rather than early.
      const now = this.clock();
      if (mark !== undefined && actsOnNothing(answers)) this.options.watch!.view.settle(key, mark);
      for (const [i, request] of requests.entries()) request.resolve(this.admission(key, answers[2 * i + 1]!, answers[2 * i + 2]! / 1_000, failures, now));
    }, (error: unknown) => {
      for (const request of requests) request.reject(error);
    });
  }

  private admission(key: string, code: number, waitMs: number, failures: number, now: number): Admission {
    switch (code) {
      case RATE_LIMITED:
        return { hold: holdOf(key, 'rate-limit', waitMs, now, this.random), probe: false, failures };
      case RETRY_AFTER:
        return { hold: holdOf(key, 'retry-after', waitMs, now, this.random), probe: false, failures };
      case CIRCUIT_OPEN:
        return { hold: holdOf(key, 'circuit-open', waitMs, now, this.random), probe: false, failures };
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
  async observe(key: string, reading: StatusReading, admission?: Admission): Promise<Hold | undefined> {
    try {
      return await this.record(key, reading, admission);
    } catch (error) {
      this.options.events?.observeFailed?.({ key, error });
      return undefined;
    }
  }

  private async record(key: string, reading: StatusReading, admission: Admission | undefined): Promise<Hold | undefined> {
    const signal = hostSignalOf(reading);
    if (!needsRecording(signal, admission)) return undefined;
    const k = this.keysOf(key);
    const [code, value] = (await OBSERVE.run(this.redis, 3, [
      k.hold, k.fails, k.open,
      signal.kind === 'retry-after' ? 'hold' : signal.kind,
      signal.kind === 'retry-after' ? String(signal.ms) : '0',
      String(this.options.hostFailures), String(this.options.probeEveryMs), String(STATE_TTL_MS),
      GateWatch.channelOf(this.options.prefix), key,
    ])) as [number, number];
    const now = this.clock();
    const events = this.options.events;
    if (signal.kind === 'retry-after') {
      const waitMs = value / 1_000;
      if (code === 1) events?.retryAfter?.({ key, waitMs });
      return holdOf(key, 'retry-after', waitMs, now, this.random);
    }
    if (signal.kind === 'ok') {
      if (code === 1) events?.circuitClosed?.({ key });
      return undefined;
    }
    if (code === 1) {
      events?.circuitOpened?.({ key, failures: value, probeEveryMs: this.options.probeEveryMs });
      return undefined;
    }
    if (code === 2) return holdOf(key, 'circuit-open', value / 1_000, now, this.random);
    return undefined;
  }
}

/** Whether admit.lua's answer saw no hold, failure or open circuit on its key (a rate limit aside). */
function actsOnNothing(answers: readonly number[]): boolean {
  return answers[0] === 0 && answers.every((code, i) => i % 2 === 0 || code <= RATE_LIMITED);
}
