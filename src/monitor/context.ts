import type { Schedule } from './schedule.ts';
import type { HistoryMode } from './history.ts';
import type { NotifyTargets } from './notification.ts';
import type { Outcome } from './statuses.ts';
import type { Hold } from './gate/hold.ts';
import type { OperationContext, StartAnswerRecord } from './operation.ts';

/** Where a monitor reads its job's status from. */
export type StatusSource =
  /** GET this URL; `{jobId}` in it is replaced by the URL-encoded job id. */
  | { kind: 'http'; url: string }
  /** Call the `getJobStatus(jobId, context)` export of the module the workers are configured with. */
  | { kind: 'hook' }
  /**
   * POST `{"ids": [...]}` to this URL, with the ids of every monitor of this URL that is due in the
   * same short window, and read this job's status body from the answer's `[jobId]` member.
   */
  | { kind: 'batch'; url: string }
  /**
   * A source named in the workers' sources file (JOBWATCH_SOURCES), with the values of its URL's
   * params. Its URL, credentials and how its answers are read stay in the file, never here: the
   * context rides in Redis and ends in Postgres.
   */
  | {
    kind: 'source'; name: string; params: Readonly<Record<string, string>>;
    /** An operation's watched URL, as its start request answered it (an allowed origin of the source); absent: the source's URL for the job. */
    url?: string;
  };

/**
 * A monitor's place in a distributed trace: the W3C trace context of the span that started it
 * (docs/tracing.md). Kept in the context, it survives processes and crashes: every poll, the final
 * record and the notifications are spans of this trace.
 */
export interface TraceParent {
  traceparent: string;
  tracestate?: string;
}

/**
 * Everything a monitor knows, carried by its poll job from one poll to the next (the
 * "continue-as-new" input of Durable Functions). Times are epoch milliseconds.
 */
export interface MonitorContext {
  /** The namespace the monitor belongs to; absent: the default one (and every monitor from before namespaces). */
  namespace?: string;
  /** Unique within the namespace: see monitorKey (namespace.ts) for the key it is stored under. */
  monitorId: string;
  /** The job's id at its service; null for an operation until its start answers one (and for good when it watches a URL instead). */
  jobId: string | null;
  status: StatusSource;
  /** Dotted path to the status in the body, e.g. `status` or `data.state`. */
  statusField: string;
  intervalMs: number;
  expireAt: number;
  startedAt: number;
  /** Status checks made so far, failed ones included. */
  polls: number;
  /** Failed status checks since the last good one; reset by any status read. */
  consecutiveFailures: number;
  lastStatus: string | null;
  lastError: string | null;
  /** When the next check is due: the poll job's delay, kept here so lateness can be measured. */
  nextCheckAt: number;
  metadata: Record<string, unknown> | null;
  /** Backoff and jitter; absent in monitors started before schedules existed (a fixed interval, default jitter). */
  schedule?: Schedule;
  /** Running statuses pushed and recorded so far (they number history rows with the polls); absent: none. */
  pushes?: number;
  /** The interval grown by the backoff so far; absent until it first grows. */
  currentIntervalMs?: number;
  /** Which checks this monitor keeps in its history; absent: the deployment's JOBWATCH_HISTORY. */
  history?: HistoryMode;
  /** Where the end is announced besides the deployment's JOBWATCH_NOTIFY_URL; absent: nowhere else. */
  notify?: NotifyTargets;
  /**
   * Overrides the key this monitor's requests are rate-limited, held and circuit-broken under;
   * absent: the status URL's `host[:port]` (hook monitors: the hook's key).
   */
  rateKey?: string;
  /** Why the last poll sent no request, until when; cleared by the next status check. */
  hold?: Hold;
  /** Set for an operation: jobwatch sends the start request, then watches what it answers (operation.ts). */
  operation?: OperationContext;
  /**
   * The final record, written into the context before it is handed to the completion queue. A poll
   * that runs again after its worker died in between hands this on instead of calling the status
   * service once more for a monitor that has already ended.
   */
  result?: MonitorResult;
  /** The trace the monitor's start began, when tracing was on there; absent: its spans start traces of their own. */
  trace?: TraceParent;
}

/** The final record of a monitor: what the completion handler persists, once. */
export interface MonitorResult {
  /** As the context's: absent for the default namespace. */
  namespace?: string;
  monitorId: string;
  /** Null when there is none: an operation whose start failed, or that watched a URL its start answered. */
  jobId: string | null;
  outcome: Outcome;
  /** The raw status string the job service reported last, if any. */
  jobStatus: string | null;
  polls: number;
  startedAt: number;
  finishedAt: number;
  /** The last status body, or the error that ended the monitor. */
  detail: unknown;
  metadata: Record<string, unknown> | null;
  /** Where the end is announced, from the monitor's context. */
  notify?: NotifyTargets;
  /** The configured status source the monitor read through (its name), however it ended; absent for other monitors. */
  source?: string;
  /** For an operation: what tells its request from another (a reused id), and what its start answered, if it did. */
  operation?: { fingerprint: string; answer?: StartAnswerRecord };
  /** The monitor's trace, from its context: the final record's write and the notifications join it. */
  trace?: TraceParent;
}

/**
 * The job id of a monitor that has one, which is every monitor but an operation that has not read
 * one (operation.ts): what the providers of status URLs, batches and hooks poll with.
 */
export function jobIdOf(monitor: { jobId: string | null; monitorId: string }): string {
  if (monitor.jobId === null) throw new Error(`monitor ${monitor.monitorId} has no job id to poll with`);
  return monitor.jobId;
}
