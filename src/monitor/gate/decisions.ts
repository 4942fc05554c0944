import type { StatusReading } from '../reading.ts';
import type { Hold, HoldReason } from './hold.ts';
import { emissionIntervalMs, type RateLimit } from './rate-limits.ts';
import type { Admission } from './request-gate.ts';

/**
 * The gate's decisions, pure: what an answer says about its host, whether it is worth recording,
 * whether a poll is back on the slot it reserved, how long a hold lasts, and what state a host is
 * in. What must be atomic across workers (the rate limit's slots, the run of failures, the
 * circuit) is decided in Redis, by the adapter's Lua scripts (src/gate/*.lua).
 */

/**
 * What one request's answer says about its host (its rate key), for host-wide backoff:
 * - `retry-after`: a 429 or 503 with Retry-After: every monitor of the key waits `ms`.
 * - `fail`: the host looks down (connection refused or reset, timeout, 5xx, a hook that throws):
 *   one more failure in a row towards the circuit.
 * - `ok`: the host answered (any status, a 404, a body without a status): the run of failures ends,
 *   and an open circuit closes.
 * - `neutral`: says nothing either way (a 429 without Retry-After: the host is up, but busy).
 */
export type HostSignal =
  | { kind: 'ok' }
  | { kind: 'fail' }
  | { kind: 'retry-after'; ms: number }
  | { kind: 'neutral' };

/** Shortest host-wide hold: a Retry-After of 0 or a few milliseconds must not make polls spin. */
export const MIN_HOST_HOLD_MS = 1_000;

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

export function hostSignalOf(reading: StatusReading): HostSignal {
  if (reading.ok) return { kind: 'ok' };
  const { reason, httpStatus, retryAfterMs } = reading.failure;
  switch (reason) {
    case 'connection':
    case 'timeout':
    case 'hook-error':
      return { kind: 'fail' };
    case 'http-status': {
      const status = httpStatus ?? 0;
      if ((status === 429 || status === 503) && retryAfterMs !== undefined && retryAfterMs > 0) {
        return { kind: 'retry-after', ms: Math.max(MIN_HOST_HOLD_MS, retryAfterMs) };
      }
      if (status >= 500) return { kind: 'fail' };
      if (status === 429) return { kind: 'neutral' };
      return { kind: 'ok' };
    }
    default:
      // not-found, bad-body, missing-field: the host answered.
      return { kind: 'ok' };
  }
}

/**
 * Whether an answer changes the host's state. Most answers are good ones to a host with no
 * failures and a closed circuit, as the admit saw it: nothing to write.
 */
export function needsRecording(signal: HostSignal, admission: Admission | undefined): boolean {
  if (signal.kind === 'neutral') return false;
  return !(signal.kind === 'ok' && admission && admission.failures === 0 && !admission.probe);
}

/** Whether a poll that waited under `reservation` is back, at `now`, on the slot it reserved for `key`. */
export function isOnReservedSlot(key: string, reservation: Hold | undefined, now: number): boolean {
  return reservation !== undefined && reservation.reason === 'rate-limit' && reservation.key === key &&
    now >= reservation.until - RESERVATION_EARLY_MS;
}

/**
 * The hold of a request that must wait `waitMs` from `now`. A rate-limit hold ends exactly on its
 * slot (the slot is this poll's, and the next poll's is one interval later); a host-wide wait ends
 * later by a random share of it (`random` gives [0, 1)), so that the monitors it held come back spread.
 */
export function holdOf(key: string, reason: HoldReason, waitMs: number, now: number, random: () => number): Hold {
  const spread = reason === 'rate-limit' ? 0 : random() * Math.max(SPREAD_MIN_MS, waitMs * SPREAD_SHARE);
  return { key, reason, until: now + Math.ceil(waitMs + spread) };
}

/**
 * What a status host's requests are allowed to do now, as rate limits, Retry-After holds and
 * circuits decide it. The monitors page shows it beside each host's error rate.
 */
export interface HostState {
  /** One word: `ok`, `failing`, `rate-limited`, `held`, `circuit-open`. */
  state: string;
  /** More, for the tooltip: until when, how many requests in the window, ... */
  detail?: string;
}

/** What the gate keeps for one rate key, as the adapter read it (0 where nothing is kept). */
export interface GateState {
  /** Epoch ms: the rate limit's next free slot to hand out. */
  nextSlotAt: number;
  /** Epoch ms: until when a Retry-After holds the key. */
  holdUntil: number;
  /** Failed requests in a row. */
  failures: number;
  /** Set while the circuit is open: when its next probe may go (epoch ms). */
  probeAt?: number;
}

export interface HostStateSettings {
  /** The key's limit (JOBWATCH_RATE_LIMITS), if it has one. */
  limit: RateLimit | undefined;
  /** JOBWATCH_HOST_FAILURES: failures in a row that open a circuit; 0: no circuits. */
  hostFailures: number;
  /** JOBWATCH_HOST_PROBE_EVERY. */
  probeEveryMs: number;
}

/**
 * A host's state as the monitors page shows it, at `now` on the clock the gate wrote with. The
 * first that holds wins: `circuit-open`, `held` (a Retry-After), `rate-limited` (polls are booked
 * on slots ahead), `failing` (failures in a row, the circuit still closed), `ok`. The detail says
 * the rest: the limit, until when, how many.
 */
export function hostStateOf(stored: GateState, now: number, settings: HostStateSettings): HostState {
  const parts: string[] = [];
  const { failures, holdUntil, probeAt } = stored;
  const backlogMs = settings.limit ? Math.max(0, stored.nextSlotAt - now) : 0;
  const limited = backlogMs > SEND_TOLERANCE_MS;

  let state = 'ok';
  if (probeAt !== undefined) {
    state = 'circuit-open';
    parts.push(`circuit open: one probe every ${seconds(settings.probeEveryMs)}, the next ${probeAt > now ? `at ${iso(probeAt)}` : 'with the next poll'}`);
  } else if (holdUntil > now) {
    state = 'held';
  } else if (limited) {
    state = 'rate-limited';
  } else if (failures > 0) {
    state = 'failing';
  }
  if (holdUntil > now) parts.push(`Retry-After: held until ${iso(holdUntil)}`);
  if (settings.limit) {
    const interval = emissionIntervalMs(settings.limit);
    parts.push(limited
      ? `limit ${settings.limit.text}: slots booked ${Math.round(backlogMs / interval)} ahead (${seconds(backlogMs)})`
      : `limit ${settings.limit.text}`);
  }
  if (failures > 0) {
    parts.push(settings.hostFailures > 0
      ? `${failures} failed in a row (the circuit opens at ${settings.hostFailures})`
      : `${failures} failed in a row`);
  }
  return parts.length > 0 ? { state, detail: parts.join('; ') } : { state };
}

function iso(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1_000)} s` : `${(ms / 1_000).toFixed(1)} s`;
}
