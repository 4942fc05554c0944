import type { MonitorContext, MonitorResult } from './context.ts';
import type { CheckedEvent } from './history.ts';
import type { StatusReading } from './reading.ts';
import type { Hold } from './gate/hold.ts';

/**
 * What a poll reports as it goes, for metrics. Processors call these synchronously and never
 * depend on them; an observer must not throw or block.
 */
export interface PollObserver {
  /** A status check finished. `lateMs`: poll start minus its due time; `context`: the monitor as polled. */
  statusChecked?(event: { context: MonitorContext; reading: StatusReading; lateMs: number; durationMs: number }): void;
  /**
   * A status check was decided (after `statusChecked`): what the history writer records. Called on
   * every poll, so it must cost no I/O of its own.
   */
  checked?(event: CheckedEvent): void;
  /** A poll found the job still running (or a failed check to retry) and re-scheduled it. */
  rescheduled?(event: { reason: 'running' | 'retry'; delayMs: number }): void;
  /** A monitor's first poll took the status pushed before it started (its early push). */
  earlyPushTaken?(context: MonitorContext): void;
  /** A poll sent no request: the gate held it back until `hold.until` (not a check, not a failure). */
  held?(hold: Hold): void;
  /** A monitor ended; its result was handed to the completion queue. */
  ended?(result: MonitorResult): void;
  /** A result was written to Postgres (`inserted` false: it was already there). */
  persisted?(event: { result: MonitorResult; inserted: boolean }): void;
  /** A result could not be written yet (Postgres down) and will be retried. */
  persistFailed?(event: { result: MonitorResult; error: Error }): void;
  /**
   * The polls in flight in this process changed (a poll began or finished): `busy` of its
   * `capacity` slots (its concurrency over all shards). Told once with `busy` 0 when workers start.
   */
  pollSlots?(event: { busy: number; capacity: number }): void;
}

const HOOKS = ['statusChecked', 'checked', 'rescheduled', 'earlyPushTaken', 'held', 'ended', 'persisted', 'persistFailed', 'pollSlots'] as const;

/** One observer that tells each of `observers` in turn; hooks none of them has are left out. */
export function combineObservers(...observers: readonly (PollObserver | undefined)[]): PollObserver {
  const present = observers.filter((observer): observer is PollObserver => observer !== undefined);
  if (present.length === 1) return present[0]!;
  const combined: Record<string, (event: never) => void> = {};
  for (const hook of HOOKS) {
    const listeners = present.map((observer) => observer[hook]?.bind(observer)).filter((listener) => listener !== undefined) as ((event: never) => void)[];
    if (listeners.length > 0) combined[hook] = (event) => { for (const listener of listeners) listener(event); };
  }
  return combined as PollObserver;
}
