import type { MonitorContext } from './context.ts';

/**
 * A monitor's poll schedule beyond its fixed interval, chosen at its start. As AWS's
 * `waitForCondition` polls: a first delay, a growth factor, a cap, and jitter.
 */
export interface Schedule {
  /** After each running status the interval grows by `factor`, up to `maxMs`. Absent: a fixed interval. */
  backoff?: { factor: number; maxMs: number };
  /**
   * The fraction of each delay that is random, 0 to 1: a delay `d` becomes one in
   * `[d * (1 - jitter), d]`, never later than the schedule says, so monitors started together spread apart.
   */
  jitter: number;
}

/**
 * The default jitter: 10% of each delay. Enough that 10,000 monitors started in one bulk (or
 * re-scheduled by one slow status service) spread over a tenth of their interval within a poll or
 * two instead of hitting the status service in lockstep forever; small enough that no poll comes
 * more than a tenth of its interval early, and none ever comes late because of it.
 */
export const DEFAULT_JITTER = 0.1;

/** Largest backoff factor accepted: beyond it the cap is reached at the second poll anyway. */
export const MAX_BACKOFF_FACTOR = 10;

export interface NextPoll {
  /** When to poll next: never past the expiry, never sooner than the minimum interval after `now` unless the expiry is sooner. */
  at: number;
  /** The interval the poll after that one starts from (grown by the backoff). */
  nextIntervalMs: number;
}

/**
 * When to poll after a running status read at `now`. `random` is a number in [0, 1). A Retry-After
 * from the service (`retryAfterMs`) replaces the schedule's delay, within the minimum interval and
 * the expiry; the backoff still grows as if the scheduled delay had been used. Pure: no clock, no randomness of its own.
 */
export function nextPollAfterRunning(context: MonitorContext, now: number, minIntervalMs: number, random: number, retryAfterMs?: number): NextPoll {
  const intervalMs = context.currentIntervalMs ?? context.intervalMs;
  const jitter = context.schedule?.jitter ?? DEFAULT_JITTER;
  const scheduled = retryAfterMs ?? intervalMs * (1 - jitter * random);
  const delay = Math.max(minIntervalMs, Math.round(scheduled));
  const backoff = context.schedule?.backoff;
  const nextIntervalMs = backoff ? Math.min(backoff.maxMs, Math.max(intervalMs, Math.round(intervalMs * backoff.factor))) : intervalMs;
  return { at: Math.min(now + delay, context.expireAt), nextIntervalMs };
}

/** The delay of a monitor's first poll after its start: `firstPollIn`, jittered like every other delay. */
export function firstPollDelay(firstPollInMs: number, jitter: number, random: number): number {
  return Math.round(firstPollInMs * (1 - jitter * random));
}
