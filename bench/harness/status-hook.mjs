/**
 * The status hook (JOBWATCH_STATUS_HOOK) of the `jobwatch worker` processes the bench runs: it
 * answers from memory, so what is measured is the worker. `Processing` for a monitor's first
 * BENCH_POLLS_TO_COMPLETE - 1 polls, then `Completed` (unset: `Processing` for ever); a job whose
 * id ends in `-done-<epoch ms>` is `Completed` from that moment on. Each call is one poll
 * starting; it is reported to the bench (see poll-reporter.mjs) with when it was due.
 * Plain JavaScript, so that the compiled worker loads it without a TypeScript loader.
 */
import { createPollReporter } from './poll-reporter.mjs';

const pollsToComplete = Number(process.env.BENCH_POLLS_TO_COMPLETE ?? Number.POSITIVE_INFINITY);
const reporter = createPollReporter(process.env);

const DONE_AT = /-done-(\d+)$/;

export function getJobStatus(jobId, context) {
  reporter.polled(context.nextCheckAt);
  const doneAt = DONE_AT.exec(jobId);
  if (doneAt) return Date.now() >= Number(doneAt[1]) ? 'Completed' : 'Processing';
  return context.polls + 1 >= pollsToComplete ? 'Completed' : 'Processing';
}
