import type { EndedMonitorState, RunningMonitorState } from '../client/monitor-state.ts';
import { checkHeaderLine, checkLine } from './check-rows.ts';
import { printJson } from './flags.ts';
import { LiveLine, sleep } from './terminal.ts';
import type { WatchReporter } from './watch-follow.ts';
import { answeredLine, endLines, formatClock, progressLine, renderSpinner, startLine } from './watch-render.ts';

/** How often the spinner turns (and its "in 12 s" counts down). */
const SPINNER_TICK_MS = 100;

/**
 * Lines for people: each check as a row under the history's columns, the final record at the end.
 * On a terminal (`live`), a spinner line with the next poll time is redrawn in place between them;
 * without one, plain lines only, no escapes.
 */
export function textReporter(out: NodeJS.WriteStream, live: boolean, clock: () => number = Date.now): WatchReporter {
  const line = live ? new LiveLine(out) : undefined;
  const print = (text: string) => (line ? line.print(text) : out.write(`${text}\n`));
  let headerShown = false;
  return {
    start: (monitor) => print(startLine(monitor)),
    check(check) {
      if (!headerShown) print(checkHeaderLine());
      headerShown = true;
      print(checkLine(check));
    },
    progress: (monitor) => print(progressLine(monitor, clock())),
    answered: (_monitor, answer) => print(answeredLine(answer, clock())),
    async idle(monitor, until, signal) {
      if (!line) return sleep(until - clock(), signal);
      for (let tick = 0; clock() < until && !signal.aborted; tick++) {
        line.draw(renderSpinner({ tick, now: clock(), monitor }));
        await sleep(Math.min(SPINNER_TICK_MS, until - clock()), signal);
      }
    },
    end: (monitor, exitCode) => endLines(monitor, exitCode).forEach(print),
    timedOut: (monitor, exitCode) => print(timedOutLine(monitor, exitCode, clock())),
    notFound: (monitorId) => {
      line?.clear();
      process.stderr.write(`jobwatch: no monitor with id ${monitorId}\n`);
    },
    interrupted: () => line?.clear(),
  };
}

/** One JSON document a line, each with its `event`: what scripts read. */
export function jsonReporter(clock: () => number = Date.now): WatchReporter {
  return {
    start: (monitor) => printJson({ event: 'start', monitor }),
    check: (check) => printJson({ event: 'check', check }),
    progress: (monitor) => printJson({ event: 'progress', monitor }),
    answered: (monitor, answer) => printJson({ event: 'answered', answer, monitor }),
    idle: (_monitor, until, signal) => sleep(until - clock(), signal),
    end: (monitor: EndedMonitorState, exitCode) => printJson({ event: 'end', monitor, exitCode }),
    timedOut: (monitor: RunningMonitorState, exitCode) => printJson({ event: 'timeout', monitor, exitCode }),
    notFound: (monitorId) => process.stderr.write(`jobwatch: no monitor with id ${monitorId}\n`),
    interrupted: () => undefined,
  };
}

function timedOutLine(monitor: RunningMonitorState, exitCode: number, now: number): string {
  return `${formatClock(now)}  stopped waiting (--timeout): ${monitor.monitorId} is still ${monitor.state} after ${monitor.polls} polls (exit ${exitCode})`;
}
