import { DelayedError, Queue, Worker } from 'bullmq';
import type { MonitorContext } from '../../src/monitor/context.ts';
import { Redis } from 'ioredis';
import { EventCounter } from './measure.ts';

export interface BareLoopOptions {
  redisUrl: string;
  prefix: string;
  /** The same contexts jobwatch's monitors carry, so that Redis moves the same bytes. */
  contexts: readonly MonitorContext[];
  pollsPerMonitor: number;
  intervalMs: number;
  concurrency: number;
  /**
   * BullMQ's step-job pattern as its docs write it: `updateData` with the step's state, then
   * `moveToDelayed`, two round trips per poll. @defaultValue false (moveToDelayed alone: the ceiling)
   */
  writeContext?: boolean;
  /** Queue name, so that two loops in one run never share keys. @defaultValue `bare-polls` */
  queueName?: string;
}

/**
 * The ceiling: BullMQ alone, in the shape of a monitor. One job per monitor re-schedules itself
 * with moveToDelayed after a no-op "status check", `pollsPerMonitor` times, then completes. It
 * keeps its poll counts in memory and writes nothing else: whatever jobwatch does beyond this
 * (writing the context, checking for a cancel, recording the end) is jobwatch's overhead.
 * Resolves with polls per second.
 */
export async function runBareLoop(options: BareLoopOptions): Promise<number> {
  const { prefix, concurrency, pollsPerMonitor, intervalMs } = options;
  // BullMQ's defaults, as its docs set a worker's connection up: no jobwatch tuning here.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queueName = options.queueName ?? 'bare-polls';
  const queue = new Queue<MonitorContext>(queueName, { connection, prefix });
  await queue.addBulk(options.contexts.map((context, i) => ({
    name: 'poll', data: context, opts: { jobId: `m-${i}`, removeOnComplete: true },
  })));
  const polls = new Map<string, number>();
  const counter = new EventCounter(options.contexts.length * pollsPerMonitor);
  const worker = new Worker<MonitorContext>(queueName, async (job, token) => {
    const done = (polls.get(job.id!) ?? 0) + 1;
    polls.set(job.id!, done);
    counter.tick();
    if (done >= pollsPerMonitor) return done;
    if (options.writeContext) await job.updateData({ ...job.data, polls: done });
    await job.moveToDelayed(Date.now() + intervalMs, token);
    throw new DelayedError();
  }, { connection, prefix, concurrency });
  try {
    return await counter.rate();
  } finally {
    await worker.close();
    await queue.close();
    await connection.quit();
  }
}
