import type { MonitorContext } from '../context.ts';
import type { StatusReading } from '../reading.ts';

/**
 * Why a poll did not call its job service this time. None of them is a status check: a held poll
 * counts no poll, burns no error budget and writes no history row.
 * - `rate-limit`: the key's shared request rate is used up until `until` (its next slot).
 * - `retry-after`: the host answered 429 or 503 with Retry-After; every monitor of it waits.
 * - `circuit-open`: the host failed too many checks in a row; polls wait for a probe to close it.
 */
export type HoldReason = 'rate-limit' | 'retry-after' | 'circuit-open';

/** A wait imposed on every monitor that shares a rate key (a status host, or a named `rateKey`). */
export interface Hold {
  /** The rate key: `host[:port]` of the status URL, or the monitor's `rateKey`. */
  key: string;
  reason: HoldReason;
  /** Epoch ms: the poll is re-delayed to this time. */
  until: number;
}

/** What a provider answers instead of a reading when its request may not be sent yet. */
export interface HeldAnswer {
  held: Hold;
}

/** What one call of a status provider gives: a reading, or a hold that sent no request. */
export type StatusAnswer = StatusReading | HeldAnswer;

export function isHeld(answer: StatusAnswer): answer is HeldAnswer {
  return 'held' in answer;
}

/**
 * The context a held poll is re-delayed with: the same checks and failures, its next check at the
 * hold's end, and the hold itself so that `jobwatch status` and the API can say why it waits.
 * Never past the expiry: a monitor held until then ends on time (as `expired`, see decideBeforeCheck).
 */
export function decideHold(context: MonitorContext, hold: Hold): MonitorContext {
  return { ...context, nextCheckAt: Math.min(hold.until, context.expireAt), hold };
}

const REASON_TEXT: Record<HoldReason, string> = {
  'rate-limit': 'rate limit',
  'retry-after': 'Retry-After',
  'circuit-open': 'circuit open',
};

/** A hold as `jobwatch status` says it: `api.vendor.com circuit open until 2026-11-30T12:00:00.000Z`. */
export function describeHold(hold: Hold): string {
  return `${hold.key} ${REASON_TEXT[hold.reason]} until ${new Date(hold.until).toISOString()}`;
}
