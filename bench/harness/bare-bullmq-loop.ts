/**
 * The baseline, run as its own process as a `jobwatch worker` is: BullMQ alone, in the shape of a
 * monitor. One job per monitor re-schedules itself with `moveToDelayed` after a no-op "status
 * check" until its BENCH_POLLS_TO_COMPLETE-th poll (unset: for ever), then completes. With
 * BENCH_WRITE_CONTEXT=1 it is BullMQ's step-job pattern as its docs write it: `updateData` with
 * the step's state, then `moveToDelayed`, two round trips per poll. It keeps its due times in
 * memory and writes nothing else: whatever jobwatch does beyond this (a cancel check, the gate,
 * the final record, history, logs) is jobwatch's overhead.
 *
 * Environment (read here only): REDIS_URL, BENCH_PREFIX, BENCH_QUEUE, BENCH_CONTEXT (the JSON
 * context every job carries, as jobwatch's monitors do, so that Redis moves the same bytes),
 * BENCH_MONITORS, BENCH_INTERVAL_MS, BENCH_JITTER (share of each delay that is random, as
 * jobwatch's schedule has it), BENCH_SPREAD_MS (first polls spread over this; 0: all due at once),
 * BENCH_CONCURRENCY, and the reporter's (poll-reporter.mjs). Prints `ready` once its jobs are
 * added; its worker starts then. Reports `finished` when every job has completed. Stops on SIGTERM.
 */
import { DelayedError, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createPollReporter, sendReport } from './poll-reporter.mjs';

const env = process.env;
const monitors = Number(env.BENCH_MONITORS);
const pollsToComplete = Number(env.BENCH_POLLS_TO_COMPLETE ?? Number.POSITIVE_INFINITY);
const intervalMs = Number(env.BENCH_INTERVAL_MS);
const jitter = Number(env.BENCH_JITTER ?? 0);
const spreadMs = Number(env.BENCH_SPREAD_MS ?? 0);
const writeContext = env.BENCH_WRITE_CONTEXT === '1';
const prefix = env.BENCH_PREFIX!;
const queueName = env.BENCH_QUEUE ?? 'bare-polls';
const template = JSON.parse(env.BENCH_CONTEXT!) as Record<string, unknown> & { polls: number };
const reporter = createPollReporter(env);

// BullMQ's defaults, as its docs set a worker's connection up: no jobwatch tuning here.
const connection = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: null });
const queue = new Queue(queueName, { connection, prefix });
/** When each job's next poll is due (epoch ms), for its lateness, and its polls so far. */
const dueAt = new Map<string, number>();
const pollCounts = new Map<string, number>();
const delay = () => Math.round(intervalMs * (1 - jitter * Math.random()));

const added = Date.now();
for (let start = 0; start < monitors; start += 1_000) {
  const jobs = Array.from({ length: Math.min(1_000, monitors - start) }, (_, offset) => {
    const id = `m-${start + offset}`;
    const firstIn = spreadMs > 0 ? Math.floor(((start + offset) / monitors) * spreadMs) : 0;
    dueAt.set(id, added + firstIn);
    return { name: 'poll', data: { ...template, jobId: id, monitorId: id }, opts: { jobId: id, delay: firstIn, removeOnComplete: true } };
  });
  await queue.addBulk(jobs);
}

let completed = 0;
const worker = new Worker(queueName, async (job, token) => {
  reporter.polled(dueAt.get(job.id!)!);
  const polls = (pollCounts.get(job.id!) ?? 0) + 1;
  pollCounts.set(job.id!, polls);
  if (polls >= pollsToComplete) return polls;
  if (writeContext) await job.updateData({ ...job.data, polls });
  const due = Date.now() + delay();
  dueAt.set(job.id!, due);
  await job.moveToDelayed(due, token);
  throw new DelayedError();
}, { connection, prefix, concurrency: Number(env.BENCH_CONCURRENCY) });
worker.on('completed', () => {
  if (++completed === monitors) sendReport({ event: 'finished' });
});
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void worker.close().then(() => queue.close()).then(() => connection.quit()).then(() => process.exit(0), () => process.exit(1));
});
