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
   * A batch source's monitors take the slot in that range instead (see `slotIn`), so that they meet.
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
 * the expiry; the backoff still grows as if the scheduled delay had been used. `batched`: the monitor
 * reads a batch source, so its jitter meets the others at a slot (see `slotIn`) instead of being random.
 * Pure: no clock, no randomness of its own.
 */
export function nextPollAfterRunning(context: MonitorContext, now: number, minIntervalMs: number, random: number, retryAfterMs?: number, batched = false): NextPoll {
  const intervalMs = context.currentIntervalMs ?? context.intervalMs;
  const jitter = context.schedule?.jitter ?? DEFAULT_JITTER;
  const scheduled = retryAfterMs ?? scheduledDelay(now, intervalMs, jitter, random, batched ? minIntervalMs : undefined);
  const delay = Math.max(minIntervalMs, Math.round(scheduled));
  const backoff = context.schedule?.backoff;
  const nextIntervalMs = backoff ? Math.min(backoff.maxMs, Math.max(intervalMs, Math.round(intervalMs * backoff.factor))) : intervalMs;
  return { at: Math.min(now + delay, context.expireAt), nextIntervalMs };
}

/**
 * The delay of a monitor's first poll after its start at `now`: `firstPollIn`, jittered like every
 * other delay, and met at a slot when the monitor is `batched`.
 */
export function firstPollDelay(firstPollInMs: number, jitter: number, random: number, now = 0, batched = false): number {
  return Math.round(scheduledDelay(now, firstPollInMs, jitter, random, batched ? 0 : undefined));
}

/**
 * A delay of `delayMs` from `now` made up to `jitter` of it early: at random, or, given
 * `slottedAfterMs` (a batched monitor's soonest delay), at the slot the jittered range holds.
 */
function scheduledDelay(now: number, delayMs: number, jitter: number, random: number, slottedAfterMs: number | undefined): number {
  if (slottedAfterMs === undefined) return delayMs * (1 - jitter * random);
  const slot = slotIn(now + delayMs, Math.floor(delayMs * jitter));
  return slot - now >= slottedAfterMs ? slot - now : delayMs;
}

/**
 * Where monitors of one batch source meet: the latest multiple of `rangeMs` (epoch ms) in
 * `(dueAt - rangeMs, dueAt]`, or `dueAt` when the range is empty. The jitter already lets a poll
 * come up to its range early; spent at random it scatters a source's monitors over the range, so
 * each worker finds few due at once and sends small batches. Spent here, every monitor with the
 * same range is due at the same instants (one per range length), whatever its phase or worker, and
 * the coalescer finds them due together. Never later than `dueAt`, never earlier than the range.
 */
export function slotIn(dueAt: number, rangeMs: number): number {
  if (rangeMs < 1) return dueAt;
  return Math.floor(dueAt / rangeMs) * rangeMs;
}
