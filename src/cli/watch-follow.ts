import type { CheckRecordView } from '../client/check-page.ts';
import type { JobwatchClient } from '../client/jobwatch-client.ts';
import type { EndedMonitorState, MonitorState, RunningMonitorState } from '../client/monitor-state.ts';
import type { HistoryMode } from '../monitor/history.ts';
import type { StartAnswerRecord } from '../monitor/operation.ts';
import type { MonitorName } from '../monitor/namespace.ts';
import { describeMonitor, monitorNamed } from './namespace-flag.ts';
import { sleep } from './terminal.ts';
import { WATCH_EXIT_CODES, endedByCheck, exitCodeFor, progressOf } from './watch-render.ts';

/** What `jobwatch watch` reports as it follows a monitor: a terminal, plain lines or JSON lines. */
export interface WatchReporter {
  start(monitor: MonitorState): void;
  /** A check from the monitor's history, each once, in order. */
  check(check: CheckRecordView): void;
  /** A change of a running monitor's polls or last status: reported when it keeps no history. */
  progress(monitor: RunningMonitorState): void;
  /** An operation's start answered: once, at the first read that shows the answer of a running operation. */
  answered(monitor: RunningMonitorState, answer: StartAnswerRecord): void;
  /** Between reads: waits until `until` (or the signal), showing the monitor as last read. */
  idle(monitor: RunningMonitorState, until: number, signal: AbortSignal): Promise<void>;
  end(monitor: EndedMonitorState, exitCode: number): void;
  timedOut(monitor: RunningMonitorState, exitCode: number): void;
  /** No such monitor: named by its id, and its namespace when one was given. */
  notFound(monitor: string): void;
  interrupted(): void;
}

export interface FollowOptions {
  monitorId: string;
  /** The monitor's namespace; undefined: the default one. */
  namespace?: string | undefined;
  /** Time between two reads of the monitor. */
  everyMs: number;
  /** Stop waiting after this long; undefined: wait for the end. */
  timeoutMs?: number;
  /** The deployment's history mode (JOBWATCH_HISTORY), for monitors that name none. */
  historyMode: HistoryMode;
  signal: AbortSignal;
  /** @defaultValue Date.now */
  clock?: () => number;
}

type WatchedClient = Pick<JobwatchClient, 'getMonitor' | 'getChecks'>;

/**
 * Rows of the last checks reach Postgres apart from the final record, within the workers' history
 * flush (200 ms unless Postgres is slow): after an end, its history is read again for this long at
 * most, until the check that ended it is there. A history row may be lost, so this is a bound.
 */
const END_HISTORY_WAIT_MS = 10_000;
const END_HISTORY_READ_EVERY_MS = 100;
/** Most checks one read takes: the API's page limit. */
const CHECKS_PER_READ = 1_000;

/**
 * Follows one monitor to its end by reading it again and again (`everyMs` apart): its new checks
 * (paged after the last seen) or, when it keeps no history, the changes of its polls and last
 * status; then its final record. Returns the exit code.
 */
export async function followMonitor(client: WatchedClient, options: FollowOptions, reporter: WatchReporter): Promise<number> {
  const clock = options.clock ?? Date.now;
  const deadline = options.timeoutMs === undefined ? Infinity : clock() + options.timeoutMs;
  const name = monitorNamed(options.monitorId, options.namespace);
  let monitor = await client.getMonitor(name);
  if (!monitor) {
    reporter.notFound(describeMonitor(options.monitorId, options.namespace));
    return WATCH_EXIT_CODES.notFound;
  }
  reporter.start(monitor);
  const history = new HistoryReader(client, name, reporter);
  const keepsHistory = monitor.state === 'ended' || (monitor.history ?? options.historyMode) !== 'off';
  let shownProgress: string | undefined;
  // An ended operation's answer is in its final lines; a running one's is reported once.
  let shownAnswer = false;
  for (;;) {
    if (options.signal.aborted) return interrupted(reporter);
    if (monitor.state === 'ended') {
      if (keepsHistory) await history.readToEnd(monitor, clock, options.signal);
      const code = exitCodeFor(monitor.outcome);
      reporter.end(monitor, code);
      return code;
    }
    if (keepsHistory) {
      await history.readNew();
    } else if (progressOf(monitor) !== shownProgress) {
      shownProgress = progressOf(monitor);
      reporter.progress(monitor);
    }
    if (!shownAnswer && monitor.operation?.answer) {
      shownAnswer = true;
      reporter.answered(monitor, monitor.operation.answer);
    }
    if (clock() >= deadline) {
      reporter.timedOut(monitor, WATCH_EXIT_CODES.timeout);
      return WATCH_EXIT_CODES.timeout;
    }
    await reporter.idle(monitor, Math.min(clock() + options.everyMs, deadline), options.signal);
    if (options.signal.aborted) return interrupted(reporter);
    const next = await client.getMonitor(name);
    if (!next) {
      // Gone between two reads: its record purged by a retention shorter than the watch.
      reporter.notFound(describeMonitor(options.monitorId, options.namespace));
      return WATCH_EXIT_CODES.notFound;
    }
    monitor = next;
  }
}

function interrupted(reporter: WatchReporter): number {
  reporter.interrupted();
  return WATCH_EXIT_CODES.interrupted;
}

/** A monitor's history read forward from the last check seen, each check reported once. */
class HistoryReader {
  private last: CheckRecordView | undefined;

  constructor(
    private readonly client: WatchedClient,
    private readonly monitor: MonitorName,
    private readonly reporter: WatchReporter,
  ) {}

  async readNew(): Promise<void> {
    for (;;) {
      const cursor = this.last ? { cursor: String(this.last.seq) } : {};
      const page = await this.client.getChecks(this.monitor, { limit: CHECKS_PER_READ, ...cursor });
      for (const check of page.checks) {
        this.last = check;
        this.reporter.check(check);
      }
      if (!page.nextCursor) return;
    }
  }

  /** The rest of an ended monitor's history, waiting a little for the row of the check that ended it. */
  async readToEnd(monitor: EndedMonitorState, clock: () => number, signal: AbortSignal): Promise<void> {
    const waitUntil = Date.parse(monitor.finishedAt) + END_HISTORY_WAIT_MS;
    const awaitsEndCheck = endedByCheck(monitor);
    for (;;) {
      await this.readNew();
      if (!awaitsEndCheck || this.sawEndCheck(monitor) || clock() >= waitUntil || signal.aborted) return;
      await sleep(END_HISTORY_READ_EVERY_MS, signal);
    }
  }

  /** The check that ended a monitor is its last: not a running one, numbered at or after its last poll. */
  private sawEndCheck(monitor: EndedMonitorState): boolean {
    return this.last !== undefined && this.last.result !== 'running' && this.last.seq >= monitor.polls;
  }
}
