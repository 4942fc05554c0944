import type { EndedMonitorState, MonitorState, RunningMonitorState } from '../client/monitor-state.ts';
import type { StartAnswerRecord } from '../monitor/operation.ts';
import { describeStartAnswer, describeStartFailure, finishedAtStart, startFailureOf, startingText, startRetryText } from '../monitor/operation-text.ts';
import type { Outcome } from '../monitor/statuses.ts';

/**
 * What `jobwatch watch` exits with, so that a script can wait on a job (`jobwatch watch "$ID" &&
 * deploy`). 1 and 2 are every command's: jobwatch could not run, or its input was bad.
 */
export const WATCH_EXIT_CODES = {
  completed: 0,
  failed: 3,
  canceled: 4,
  expired: 5,
  errored: 6,
  timeout: 7,
  notFound: 8,
  interrupted: 130,
} as const satisfies Record<Outcome | 'timeout' | 'notFound' | 'interrupted', number>;

/** The exit codes as `watch --help` and the README list them, in order. */
export const WATCH_EXIT_CODE_ROWS: readonly (readonly [number, string])[] = [
  [WATCH_EXIT_CODES.completed, 'the monitor ended completed'],
  [1, 'jobwatch could not watch (Redis or Postgres unreachable, no schema)'],
  [2, 'bad flags or a missing MONITOR_ID'],
  [WATCH_EXIT_CODES.failed, 'the monitor ended failed'],
  [WATCH_EXIT_CODES.canceled, 'the monitor ended canceled'],
  [WATCH_EXIT_CODES.expired, 'the monitor ended expired'],
  [WATCH_EXIT_CODES.errored, 'the monitor ended errored (its status checks kept failing)'],
  [WATCH_EXIT_CODES.timeout, '--timeout passed first (the monitor goes on)'],
  [WATCH_EXIT_CODES.notFound, 'no monitor with that id'],
  [WATCH_EXIT_CODES.interrupted, 'interrupted (Ctrl-C)'],
];

export function exitCodeFor(outcome: Outcome): number {
  return WATCH_EXIT_CODES[outcome];
}

/** Braille dots, one a tick: the spinner `gh run watch` and most CLIs show. */
export const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;

/** What the spinner line shows at one tick: the monitor as last read, and the time now. */
export interface SpinnerFrame {
  tick: number;
  now: number;
  monitor: RunningMonitorState;
}

/** The spinner line between checks, e.g. `⠙ scheduled · 3 polls · Processing · next poll at 12:03:04 (in 12 s)`. */
export function renderSpinner({ tick, now, monitor }: SpinnerFrame): string {
  const frame = SPINNER_FRAMES[tick % SPINNER_FRAMES.length];
  if (monitor.state === 'starting') return [`${frame} ${startingText(monitor.statusSource)}`, ...startRetry(monitor)].join(' · ');
  const parts = [`${frame} ${monitor.state}`, pollCount(monitor.polls)];
  if (monitor.lastStatus !== null) parts.push(monitor.lastStatus);
  if (monitor.lastError !== null) parts.push(`last check failed: ${monitor.lastError}`);
  if (monitor.state === 'scheduled') parts.push(nextPollText(Date.parse(monitor.nextPollAt), now, monitor.intervalMs));
  return parts.join(' · ');
}

/** `next poll at 12:03:04 (in 12 s)`; `(due)` once its time has come, `(overdue 40 s)` past two intervals. */
export function nextPollText(nextPollAt: number, now: number, intervalMs: number): string {
  return `next poll at ${nextPollWhen(nextPollAt, now, intervalMs)}`;
}

/** `12:03:04 (in 12 s)`, `12:03:04 (due)` or `12:03:04 (overdue 40 s)`. */
export function nextPollWhen(nextPollAt: number, now: number, intervalMs: number): string {
  const at = formatClock(nextPollAt);
  const wait = nextPollAt - now;
  if (wait > 0) return `${at} (in ${formatSpan(wait)})`;
  return isOverdue(nextPollAt, now, intervalMs) ? `${at} (overdue ${formatSpan(-wait)})` : `${at} (due)`;
}

/** Overdue: the next poll more than two intervals in the past (no worker took it). */
export function isOverdue(nextPollAt: number, now: number, intervalMs: number): boolean {
  return now - nextPollAt > 2 * intervalMs;
}

/** A local wall-clock time, `HH:MM:SS`: what a person compares with their own clock. */
export function formatClock(ms: number): string {
  const at = new Date(ms);
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** A span for people, rounded up to whole seconds: `12 s`, `3 m 05 s`, `2 h 01 m`. */
export function formatSpan(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1_000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} m ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`;
}

function pollCount(polls: number): string {
  return polls === 1 ? '1 poll' : `${polls} polls`;
}

/**
 * The line that opens a watch: which monitor, of which job (an operation may have no job id: then
 * none is named), and where it stands; an operation still starting says so.
 */
export function startLine(monitor: MonitorState): string {
  const where = monitor.state === 'ended' ? `ended ${monitor.outcome}`
    : monitor.state === 'starting' ? [startingText(monitor.statusSource), ...startRetry(monitor)].join(' · ')
    : `${monitor.state}, ${pollCount(monitor.polls)} so far`;
  return `watching ${monitor.monitorId}${monitor.jobId === null ? '' : ` (job ${monitor.jobId})`}: ${where}`;
}

/** An operation's start answered (printed once, as soon as a read shows it), e.g. `12:03:04  start answered 202, watching https://x/ops/7`. */
export function answeredLine(answer: StartAnswerRecord, now: number): string {
  return `${formatClock(now)}  start ${describeStartAnswer(answer)}`;
}

/** What a running monitor's state shows of its progress: what `watch` reports when it keeps no history. */
export function progressOf(monitor: RunningMonitorState): string {
  return JSON.stringify([monitor.polls, monitor.lastStatus, monitor.lastError]);
}

/** A change of a running monitor's progress as one line, e.g. `12:03:04  3 polls  Processing`. */
export function progressLine(monitor: RunningMonitorState, now: number): string {
  if (monitor.state === 'starting') return [formatClock(now), startingText(monitor.statusSource), ...startRetry(monitor)].join('  ');
  const parts = [formatClock(now), pollCount(monitor.polls), monitor.lastStatus ?? '-'];
  if (monitor.lastError !== null) parts.push(`last check failed: ${monitor.lastError}`);
  return parts.join('  ');
}

/** The final record as the lines `watch` ends with. */
export function endLines(monitor: EndedMonitorState, exitCode: number): string[] {
  const took = Date.parse(monitor.finishedAt) - Date.parse(monitor.startedAt);
  const detail = monitor.detail === undefined || monitor.detail === null ? '-' : JSON.stringify(monitor.detail);
  return [
    `${monitor.monitorId} ended ${monitor.outcome} (exit ${exitCode})`,
    `  job        ${monitor.jobId ?? '-'}`,
    ...startLines(monitor),
    `  status     ${monitor.jobStatus ?? '-'}`,
    `  polls      ${monitor.polls}`,
    `  started    ${monitor.startedAt}`,
    `  finished   ${monitor.finishedAt} (after ${formatSpan(took)})`,
    `  detail     ${detail.length > 200 ? `${detail.slice(0, 199)}…` : detail}`,
    ...(monitor.persisted ? [] : ['  (the record waits in Redis for Postgres)']),
  ];
}

/** An ended operation's start: refused (with why), or what it answered; nothing for a monitor that is no operation. */
function startLines(monitor: EndedMonitorState): string[] {
  const failure = startFailureOf(monitor.detail);
  if (failure) return [`  start      ${describeStartFailure(failure)}`];
  const answer = monitor.operation?.answer;
  if (!answer) return monitor.operation ? ['  start      not answered'] : [];
  const text = describeStartAnswer(answer);
  return [`  start      ${finishedAtStart(monitor.detail) ? `${text}, the job finished at once` : text}`];
}

/** A start being retried: its last try's error, as one part of a line. */
function startRetry(monitor: RunningMonitorState): string[] {
  return monitor.lastError === null ? [] : [startRetryText(monitor.lastError)];
}

/**
 * Whether the monitor's end was a status check (a poll's or a push's), so that its history ends
 * with that check's row: not so for a cancel and an expiry, which end without a check.
 */
export function endedByCheck(monitor: EndedMonitorState): boolean {
  const detail = typeof monitor.detail === 'object' && monitor.detail !== null ? monitor.detail : {};
  switch (monitor.outcome) {
    case 'completed':
    case 'failed':
      return true;
    case 'expired':
      return false;
    case 'canceled': // a cancel's record holds only when it was canceled; a job's own Canceled status, its body
      return !(Object.keys(detail).length === 1 && 'canceledAt' in detail);
    case 'errored': // failing checks, or an expiry while they failed
      return !('expiredAt' in detail);
  }
}
