/**
 * How a process the bench started (a `jobwatch worker`, through its status hook, or a bare BullMQ
 * loop) tells the bench about its polls: JSON lines on file descriptor 3, a pipe the bench opens
 * beside stdout (which stays the process's own log). Nothing is sent per poll, so that measuring
 * costs the process next to nothing:
 * - `{"event":"first"}` at the first poll: the bench reads the process's CPU and Redis's counters then;
 * - `{"event":"timed","polls":P,"ms":T}` at poll number BENCH_POLLS: T ms from the first poll to it;
 * - with BENCH_LATENESS=`warmupMs,measureMs`, `{"event":"lateness","values":[...],"ms":T}` once the
 *   window after the warm-up ends: each poll's start minus the time it was due, in ms.
 * Off unless BENCH_REPORT=1 (the memory bench runs the hook without the pipe).
 * Plain JavaScript, so that the compiled worker loads it through the hook without a loader.
 */
import { writeSync } from 'node:fs';

const REPORT_FD = 3;

/** @param {Record<string, string | undefined>} env */
export function createPollReporter(env) {
  if (env.BENCH_REPORT !== '1') return { polled() {} };
  const target = Number(env.BENCH_POLLS ?? Number.POSITIVE_INFINITY);
  const [warmupMs = 0, measureMs = 0] = (env.BENCH_LATENESS ?? '').split(',').filter(Boolean).map(Number);
  let polls = 0;
  let firstAt = 0;
  /** @type {number[] | undefined} lateness values, while the window is open */
  let window;
  const openWindow = () => {
    window = [];
    const openedAt = performance.now();
    setTimeout(() => {
      const values = window ?? [];
      window = undefined;
      sendReport({ event: 'lateness', values, ms: performance.now() - openedAt });
    }, measureMs).unref();
  };
  return {
    /** Called as each poll starts, with the epoch ms it was due. */
    polled(dueAt) {
      polls++;
      if (polls === 1) {
        firstAt = performance.now();
        sendReport({ event: 'first' });
        if (measureMs > 0) setTimeout(openWindow, warmupMs).unref();
      }
      if (window) window.push(Date.now() - dueAt);
      if (polls === target) sendReport({ event: 'timed', polls, ms: performance.now() - firstAt });
    },
  };
}

/** One report line to the bench; a full pipe (EAGAIN) is waited out, since the bench reads it at once. */
export function sendReport(message) {
  const bytes = Buffer.from(`${JSON.stringify(message)}\n`);
  for (let offset = 0; offset < bytes.length;) {
    try {
      offset += writeSync(REPORT_FD, bytes, offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
    }
  }
}
