import type { StatusReading } from './reading.ts';
import type { MonitorContext, MonitorResult } from './context.ts';
import type { OperationContext, StartAnswerRecord, StartOutcome } from './operation.ts';
import { backoffDelay } from '../time/backoff.ts';
import { finalRecord } from './final-record.ts';
import { MAX_DETAIL_BYTES, MIN_INTERVAL_MS } from './input-limits.ts';
import { nextPollAfterRunning } from './schedule.ts';
import { classifyStatus, type Outcome, type StatusVocabulary } from './statuses.ts';

/**
 * The monitor's decisions, as pure functions of (context, status reading, time): no I/O, no clock,
 * no randomness of their own, so that every branch is a table row in a unit test. The BullMQ
 * processor carries them out.
 */

export interface PollPolicy {
  vocabulary: StatusVocabulary;
  /** Failed status checks in a row that end a monitor as `errored`. */
  maxConsecutiveFailures: number;
  /** First retry delay after a failed check (never more than the monitor's interval). */
  retryBaseMs: number;
  /** Longest retry delay after failed checks. */
  retryMaxMs: number;
  /** Whether a 404 from the status URL ends the monitor at once as `errored`. */
  notFoundEndsMonitor: boolean;
  /** The soonest a poll may follow a running status, whatever the jitter or a Retry-After say. @defaultValue MIN_INTERVAL_MS */
  minIntervalMs?: number;
}

export type BeforeCheck = { kind: 'check' } | Finish;
export type AfterCheck = Reschedule | Finish;
export interface Reschedule {
  kind: 'reschedule';
  /** `running`: the job is still going; `retry`: the status check failed and will be tried again. */
  reason: 'running' | 'retry';
  at: number;
  context: MonitorContext;
}
export interface Finish {
  kind: 'finish';
  result: MonitorResult;
}

/**
 * Before calling the status service: a monitor whose end is already decided (its poll ran before
 * and died after deciding), canceled or expired ends without a call. A monitor that reaches its
 * expiry held (its host's rate limit, Retry-After or open circuit kept it from checking) ends as
 * `expired`, whatever failures came before the hold: a host that was down until the expiry is not
 * an error of the job, and the hold, not a failed check, was the last thing that happened to it.
 */
export function decideBeforeCheck(context: MonitorContext, now: number, cancelRequested: boolean): BeforeCheck {
  if (context.result || cancelRequested) return { kind: 'finish', result: decideCancel(context, now) };
  if (now < context.expireAt) return { kind: 'check' };
  if (context.hold) {
    return finish(context, 'expired', now, {
      lastStatus: context.lastStatus,
      expiredAt: new Date(context.expireAt).toISOString(),
      heldBy: { key: context.hold.key, reason: context.hold.reason, until: new Date(context.hold.until).toISOString() },
      ...(context.lastError ? { lastError: context.lastError } : {}),
    });
  }
  if (context.consecutiveFailures > 0) {
    return finish(context, 'errored', now, {
      error: context.lastError,
      consecutiveFailures: context.consecutiveFailures,
      expiredAt: new Date(context.expireAt).toISOString(),
    });
  }
  return finish(context, 'expired', now, {
    lastStatus: context.lastStatus,
    expiredAt: new Date(context.expireAt).toISOString(),
  });
}

function withoutHold(context: MonitorContext): MonitorContext {
  const { hold: _ended, ...rest } = context;
  return rest;
}

/** The record a cancel at `now` ends the monitor with; an end already decided stands. */
export function decideCancel(context: MonitorContext, now: number): MonitorResult {
  return context.result ?? finish(context, 'canceled', now, { canceledAt: new Date(now).toISOString() }).result;
}

/**
 * After a status check: poll again on the monitor's schedule, retry a failed check after a backoff,
 * or end. `jitter` is a number in [0, 1) that spreads polls and retries of many monitors apart;
 * `batched` (the monitor reads a batch source): its next poll meets the source's others at a slot
 * instead (retries keep their spread: a failed batch's members do not come back all at once).
 */
export function decideAfterCheck(
  context: MonitorContext,
  reading: StatusReading,
  now: number,
  policy: PollPolicy,
  jitter: number,
  batched = false,
): AfterCheck {
  const polls = context.polls + 1;
  // A check ends any hold the monitor waited under.
  if (context.hold) context = withoutHold(context);
  if (!reading.ok) return decideAfterFailure({ ...context, polls }, reading.failure, now, policy, jitter);

  if (reading.started && context.operation) return decideStart({ ...context, polls, consecutiveFailures: 0, lastError: null }, context.operation, reading.started, now);
  const next: MonitorContext = { ...context, polls, consecutiveFailures: 0, lastStatus: reading.status, lastError: null };
  const statusClass = reading.running ? 'running' : reading.outcome ?? classifyStatus(reading.status, policy.vocabulary);
  if (statusClass === 'running') {
    // The floor never holds a monitor slower than its own interval (validated where it was started,
    // perhaps under a lower JOBWATCH_MIN_INTERVAL than this worker's).
    const floor = Math.min(policy.minIntervalMs ?? MIN_INTERVAL_MS, context.intervalMs);
    const { at, nextIntervalMs } = nextPollAfterRunning(context, now, floor, jitter, reading.retryAfterMs, batched);
    return reschedule(nextIntervalMs === context.intervalMs ? next : { ...next, currentIntervalMs: nextIntervalMs }, 'running', at);
  }
  return finish(next, statusClass, now, truncateDetail(reading.body));
}

/**
 * After an operation's start request was answered: its answer is recorded in the context (the
 * re-schedule writes it, with the delay, in one step, so a start re-run after a crash finds it and
 * sends nothing), and the first poll follows the answer's Retry-After, else the operation's own
 * first-poll delay, else its interval. Or the operation ends: at once (a synchronous answer), or
 * failed (the start was refused).
 */
function decideStart(context: MonitorContext, operation: OperationContext, started: StartOutcome, now: number): AfterCheck {
  if (started.kind === 'refused') {
    const answered = { ...context, operation: { ...operation, phase: 'started' as const, answer: { status: started.status } } };
    return finish(answered, 'failed', now, { start: { status: started.status, body: started.body, reason: started.reason } });
  }
  if (started.kind === 'done') {
    const answered = { ...context, operation: { ...operation, phase: 'started' as const, answer: { status: started.status } } };
    return finish(answered, 'completed', now, { via: 'start', output: started.output });
  }
  const answer: StartAnswerRecord = started.kind === 'watch'
    ? { status: started.status, watching: started.url }
    : { status: started.status, jobId: started.jobId };
  const status = started.kind === 'watch' && context.status.kind === 'source' ? { ...context.status, url: started.url } : context.status;
  const next: MonitorContext = {
    ...context, status, operation: { ...operation, phase: 'started', answer },
    ...(started.kind === 'watch-job' ? { jobId: started.jobId } : {}),
  };
  const wait = started.retryAfterMs ?? operation.firstPollInMs ?? context.intervalMs;
  return reschedule(next, 'running', Math.min(context.expireAt, now + wait));
}

function decideAfterFailure(
  context: MonitorContext,
  failure: Extract<StatusReading, { ok: false }>['failure'],
  now: number,
  policy: PollPolicy,
  jitter: number,
): AfterCheck {
  const failures = context.consecutiveFailures + 1;
  const next: MonitorContext = { ...context, consecutiveFailures: failures, lastError: failure.message };
  const detail = { error: failure.message, reason: failure.reason, httpStatus: failure.httpStatus, consecutiveFailures: failures };
  if (failure.reason === 'not-found' && policy.notFoundEndsMonitor) return finish(next, 'errored', now, detail);
  if (failures >= policy.maxConsecutiveFailures) return finish(next, 'errored', now, detail);
  return reschedule(next, 'retry', now + retryDelay(failures, context.intervalMs, policy, jitter, failure.retryAfterMs));
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries of many
 * monitors that failed together (one status service down) do not come back together.
 * A Retry-After from the service wins when it asks for longer.
 */
export function retryDelay(failures: number, intervalMs: number, policy: PollPolicy, jitter: number, retryAfterMs?: number): number {
  const jittered = backoffDelay(failures, { baseMs: Math.min(policy.retryBaseMs, intervalMs), maxMs: policy.retryMaxMs }, jitter);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Never schedule past the expiry: the poll at expireAt records the expiry on time. */
function reschedule(context: MonitorContext, reason: Reschedule['reason'], at: number): Reschedule {
  const due = Math.min(at, context.expireAt);
  return { kind: 'reschedule', reason, at: due, context: { ...context, nextCheckAt: due } };
}

function finish(context: MonitorContext, outcome: Outcome, now: number, detail: unknown): Finish {
  return { kind: 'finish', result: finalRecord(context, { outcome, detail }, now) };
}

/** Keeps a status body in the result, unless it is large enough to bloat queues and rows. */
export function truncateDetail(body: unknown): unknown {
  const json = JSON.stringify(body) ?? 'null';
  if (Buffer.byteLength(json, 'utf8') <= MAX_DETAIL_BYTES) return body ?? null;
  return { truncated: true, bytes: Buffer.byteLength(json, 'utf8'), preview: json.slice(0, 1_024) };
}
