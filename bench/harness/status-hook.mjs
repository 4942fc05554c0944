/**
 * The status hook (JOBWATCH_STATUS_HOOK) of the `jobwatch worker` processes the bench runs: it
 * answers from memory, so what is measured is the worker. `Processing` for a monitor's first
 * BENCH_POLLS_TO_COMPLETE - 1 polls, then `Completed` (unset: `Processing` for ever). Each call
 * is one poll starting; it is reported to the bench (see poll-reporter.mjs) with when it was due.
 * Plain JavaScript, so that the compiled worker loads it without a TypeScript loader.
 */
import { createPollReporter } from './poll-reporter.mjs';

const pollsToComplete = Number(process.env.BENCH_POLLS_TO_COMPLETE ?? Number.POSITIVE_INFINITY);
const reporter = createPollReporter(process.env);

export function getJobStatus(_jobId, context) {
  reporter.polled(context.nextCheckAt);
  return context.polls + 1 >= pollsToComplete ? 'Completed' : 'Processing';
}
