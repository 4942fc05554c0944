import { Counter, Histogram, type Registry } from 'prom-client';
import type { PollObserver } from '../monitor/poll-observer.ts';

/** Seconds a poll started after it was due: small normally, large when workers fall behind. */
const LATENESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Seconds a status call took, up to the longest status timeout people set. */
const STATUS_CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Counters and histograms of what the poll and completion workers do, fed by the processors
 * through the PollObserver hooks. Each worker process counts its own work; Prometheus sums them.
 */
export function createPollMetrics(registry: Registry): PollObserver {
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, buckets: number[], labelNames: string[] = []) =>
    new Histogram({ name, help, buckets, labelNames, registers });

  const statusChecks = counter('jobwatch_status_checks_total',
    'Status checks made, by result (ok: a status was read; failed: see jobwatch_status_check_failures_total)', ['result']);
  const failures = counter('jobwatch_status_check_failures_total',
    'Failed status checks, by reason (connection, timeout, http-status, not-found, bad-body, missing-field, hook-error)', ['reason']);
  const polls = counter('jobwatch_polls_total',
    'Polls by outcome: rescheduled (job still running), retry (failed check, retried with backoff), ended (monitor finished)', ['outcome']);
  const ended = counter('jobwatch_monitors_ended_total',
    'Monitors that ended, by outcome, counted when the poll worker hands the final record to the completions queue', ['outcome']);
  const completions = counter('jobwatch_completions_total',
    'Final records the completion worker wrote to Postgres, by outcome (result: inserted, or already-persisted on a repeat)', ['outcome', 'result']);
  const completionRetries = counter('jobwatch_completion_retries_total',
    'Final records that could not be written yet (Postgres unreachable) and wait in Redis for a retry');
  const lateness = histogram('jobwatch_poll_lateness_seconds', 'How late a poll started: its start time minus the time it was due', LATENESS_BUCKETS);
  const statusCallDuration = histogram('jobwatch_status_call_duration_seconds', 'How long a status call took, by result', STATUS_CALL_BUCKETS, ['result']);

  return {
    statusChecked({ reading, lateMs, durationMs }) {
      const result = reading.ok ? 'ok' : 'failed';
      statusChecks.inc({ result });
      if (!reading.ok) failures.inc({ reason: reading.failure.reason });
      // Clocks of producer and worker hosts differ slightly; a poll is never "early" by design.
      lateness.observe(Math.max(0, lateMs) / 1_000);
      statusCallDuration.observe({ result }, durationMs / 1_000);
    },
    rescheduled({ reason }) {
      polls.inc({ outcome: reason === 'running' ? 'rescheduled' : 'retry' });
    },
    ended(result) {
      polls.inc({ outcome: 'ended' });
      ended.inc({ outcome: result.outcome });
    },
    persisted({ result, inserted }) {
      completions.inc({ outcome: result.outcome, result: inserted ? 'inserted' : 'already-persisted' });
    },
    persistFailed() {
      completionRetries.inc();
    },
  };
}
