import type { MonitorResult } from './context.ts';
import type { StatusReading } from './reading.ts';

/**
 * What a poll reports as it goes, for metrics. Processors call these synchronously and never
 * depend on them; an observer must not throw or block.
 */
export interface PollObserver {
  /** A status check finished. `lateMs`: poll start minus its due time. */
  statusChecked?(event: { reading: StatusReading; lateMs: number; durationMs: number }): void;
  /** A poll found the job still running (or a failed check to retry) and re-scheduled it. */
  rescheduled?(event: { reason: 'running' | 'retry'; delayMs: number }): void;
  /** A monitor ended; its result was handed to the completion queue. */
  ended?(result: MonitorResult): void;
  /** A result was written to Postgres (`inserted` false: it was already there). */
  persisted?(event: { result: MonitorResult; inserted: boolean }): void;
  /** A result could not be written yet (Postgres down) and will be retried. */
  persistFailed?(event: { result: MonitorResult; error: Error }): void;
}
