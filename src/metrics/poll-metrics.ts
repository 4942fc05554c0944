import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PollObserver } from '../monitor/poll-observer.ts';
import { namespaceOf } from '../monitor/namespace.ts';
import type { MonitorContext } from '../monitor/context.ts';
import { rateKeyOf } from '../monitor/gate/rate-key.ts';
import { BoundedLabels } from './bounded-labels.ts';
import { memoPerUrl } from '../monitor/url-memo.ts';

/**
 * Rate keys one process reports as a `key` label; the keys after these are summed under `other`.
 * Keys come from JOBWATCH_RATE_LIMITS and from monitors (a status host, or a `rateKey`), and monitors
 * can name any number of them: the cap keeps the series of a process bounded.
 */
export const MAX_RATE_KEY_LABELS = 100;
export const OTHER_RATE_KEYS = 'other';
/** Namespaces one process reports as a `namespace` label, as for rate keys. */
export const MAX_NAMESPACE_LABELS = 100;

/** Seconds a poll started after it was due: small normally, large when workers fall behind. */
const LATENESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Seconds a status call took, up to the longest status timeout people set. */
const STATUS_CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The poll metrics' observer, and the rate keys this process has sent requests to or held (the first 100). */
export interface PollMetrics extends PollObserver {
  rateKeys(): readonly string[];
}

/** Status URLs whose rate key was worked out, remembered up to this many (a poll then costs a Map lookup). */
const MAX_REMEMBERED_URLS = 1_000;

/**
 * The `key` label of a status call: the source's name for a source monitor (what its operator
 * named it), else its rate key (a status host `host[:port]`, a monitor's `rateKey`, or `hook`).
 */
export function statusKeyOf(context: Pick<MonitorContext, 'status' | 'rateKey'>): string {
  return context.status.kind === 'source' ? context.status.name : rateKeyOf(context);
}

/**
 * Counters and histograms of what the poll and completion workers do, fed by the processors
 * through the PollObserver hooks. Each worker process counts its own work; Prometheus sums them.
 */
export function createPollMetrics(registry: Registry): PollMetrics {
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, buckets: number[], labelNames: string[] = []) =>
    new Histogram({ name, help, buckets, labelNames, registers });

  const statusChecks = counter('jobwatch_status_checks_total',
    'Status checks made, by result (ok: a status was read; failed: see jobwatch_status_check_failures_total)', ['result']);
  const failures = counter('jobwatch_status_check_failures_total',
    'Failed status checks, by reason (connection, timeout, http-status, not-found, bad-body, missing-field, hook-error, unknown-source, credentials) ' +
    `and key (the source's name, else the rate key; keys past the first ${MAX_RATE_KEY_LABELS} are summed as key="other")`, ['reason', 'key']);
  const polls = counter('jobwatch_polls_total',
    'Polls by outcome: rescheduled (job still running), retry (failed check, retried with backoff), ended (monitor finished)', ['outcome']);
  const ended = counter('jobwatch_monitors_ended_total',
    'Monitors that ended, by namespace and outcome, counted when the poll worker hands the final record to the completions queue; ' +
    `namespaces past the first ${MAX_NAMESPACE_LABELS} are summed as namespace="other"`, ['namespace', 'outcome']);
  const completions = counter('jobwatch_completions_total',
    'Final records the completion worker wrote to Postgres, by namespace and outcome (result: inserted, or already-persisted on a repeat); ' +
    `namespaces past the first ${MAX_NAMESPACE_LABELS} are summed as namespace="other"`, ['namespace', 'outcome', 'result']);
  const namespaces = new BoundedLabels(MAX_NAMESPACE_LABELS, OTHER_RATE_KEYS);
  const firstChecks = counter('jobwatch_monitors_first_checked_total',
    'Monitors whose first status check this worker made, by namespace: the monitors taken up (one that ends on a status pushed before any check is not counted); ' +
    `namespaces past the first ${MAX_NAMESPACE_LABELS} are summed as namespace="other"`, ['namespace']);
  const completionRetries = counter('jobwatch_completion_retries_total',
    'Final records that could not be written yet (Postgres unreachable) and wait in Redis for a retry');
  const lateness = histogram('jobwatch_poll_lateness_seconds', 'How late a poll started: its start time minus the time it was due', LATENESS_BUCKETS);
  const statusCallDuration = histogram('jobwatch_status_call_duration_seconds',
    `How long a status call took, by result and key (the source's name, else the rate key; keys past the first ${MAX_RATE_KEY_LABELS} are summed as key="other")`,
    STATUS_CALL_BUCKETS, ['result', 'key']);
  const statusKeys = new BoundedLabels(MAX_RATE_KEY_LABELS, OTHER_RATE_KEYS);
  const keyOfUrl = memoPerUrl<string>(MAX_REMEMBERED_URLS);
  const statusKeyLabel = (context: MonitorContext) => {
    // Working a URL's host out costs a URL parse: remembered per URL, as most monitors share a few.
    const url = (context.status.kind === 'http' || context.status.kind === 'batch') && !context.rateKey ? context.status.url : undefined;
    return url === undefined ? statusKeyOf(context) : keyOfUrl(url, () => statusKeyOf(context));
  };
  // The rate keys whose circuits /metrics reports (read from Redis at scrape): the first 100 met.
  const rateKeys = new Set<string>();
  const noteRateKey = (key: string) => {
    if (rateKeys.size < MAX_RATE_KEY_LABELS) rateKeys.add(key);
  };
  const slotsBusy = new Gauge({ name: 'jobwatch_poll_slots_busy', help: 'Polls in flight in this worker process', registers });
  const slots = new Gauge({ name: 'jobwatch_poll_slots', help: "This worker process's poll slots (its concurrency over all shards); 0 where no poll worker runs", registers });
  const rateLimited = counter('jobwatch_rate_limited_total',
    'Polls held back without a status request, by rate key and reason (rate-limit, retry-after, circuit-open); keys past the first 100 are summed as key="other"', ['key', 'reason']);
  // Until when the latest hold of each key reaches; the gauge reads how far that is at each scrape.
  const heldUntil = new Map<string, number>();
  new Gauge({
    name: 'jobwatch_rate_limit_delay_seconds',
    help: "How far ahead the latest hold of a rate key reaches (a rate limit's next slot, a Retry-After, an open circuit's next probe); 0 once passed",
    labelNames: ['key'],
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      for (const [key, until] of heldUntil) this.set({ key }, Math.max(0, until - now) / 1_000);
    },
  });
  const labelOf = (key: string) => (heldUntil.has(key) || heldUntil.size < MAX_RATE_KEY_LABELS ? key : OTHER_RATE_KEYS);

  return {
    rateKeys: () => [...rateKeys],
    statusChecked({ context, reading, lateMs, durationMs }) {
      const result = reading.ok ? 'ok' : 'failed';
      const statusKey = statusKeyLabel(context);
      const key = statusKeys.labelOf(statusKey);
      statusChecks.inc({ result });
      if (context.polls === 0) firstChecks.inc({ namespace: namespaces.labelOf(namespaceOf(context)) });
      if (!reading.ok) failures.inc({ reason: reading.failure.reason, key });
      // Clocks of producer and worker hosts differ slightly; a poll is never "early" by design.
      lateness.observe(Math.max(0, lateMs) / 1_000);
      statusCallDuration.observe({ result, key }, durationMs / 1_000);
      // Other than a source's name, the status key is the rate key.
      if (rateKeys.size < MAX_RATE_KEY_LABELS) noteRateKey(context.status.kind === 'source' ? rateKeyOf(context) : statusKey);
    },
    pollSlots({ busy, capacity }) {
      slotsBusy.set(busy);
      slots.set(capacity);
    },
    held({ key, reason, until }) {
      noteRateKey(key);
      const label = labelOf(key);
      rateLimited.inc({ key: label, reason });
      heldUntil.set(label, until);
    },
    rescheduled({ reason }) {
      polls.inc({ outcome: reason === 'running' ? 'rescheduled' : 'retry' });
    },
    ended(result) {
      polls.inc({ outcome: 'ended' });
      ended.inc({ namespace: namespaces.labelOf(namespaceOf(result)), outcome: result.outcome });
    },
    persisted({ result, inserted }) {
      completions.inc({ namespace: namespaces.labelOf(namespaceOf(result)), outcome: result.outcome, result: inserted ? 'inserted' : 'already-persisted' });
    },
    persistFailed() {
      completionRetries.inc();
    },
  };
}
