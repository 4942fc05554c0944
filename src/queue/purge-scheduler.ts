import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Purge } from '../monitor/retention.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { unshardedQueueName, type QueueLayout } from './shards.ts';

/** Housekeeping jobs of a deployment (`{maintenance}` when hash-tagged). */
export const MAINTENANCE_QUEUE = 'maintenance';
/** The one job scheduler of the purge: its id is fixed, so every worker upserts the same one. */
export const PURGE_SCHEDULER_ID = 'purge';

export interface PurgeSchedulerOptions {
  connection: RedisConnection;
  prefix: string;
  layout: QueueLayout;
  everyMs: number;
  /** Deletes what is old (db/purge.ts); undefined when no retention is set. */
  purge: Purge | undefined;
  logger: Logger;
}

/**
 * Runs the purge from one BullMQ job scheduler per deployment: every worker upserts the scheduler
 * with the same id (so there is one, at the latest `every`), and each run is one job, taken by one
 * worker. With no retention set the scheduler is removed, so that turning retention off stops it;
 * give every worker of a deployment the same retention settings.
 */
export async function startPurgeScheduler(options: PurgeSchedulerOptions): Promise<{ close(): Promise<void> }> {
  const { prefix, logger } = options;
  // A connection of its own, closed with the queue: a queue closed early on the worker's shared
  // connection left a command of BullMQ's to fail unhandled when that connection later quit.
  const connection = options.connection.duplicate();
  const queue = new Queue(unshardedQueueName(options.layout, MAINTENANCE_QUEUE), { connection, prefix });
  const closeQueue = async () => {
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  };
  // The connection's errors are the worker's to log (once, as "Redis connection error"); without a
  // listener BullMQ would print each to the console.
  queue.on('error', () => {});
  if (!options.purge) {
    try {
      await queue.removeJobScheduler(PURGE_SCHEDULER_ID);
    } finally {
      await closeQueue();
    }
    return { close: async () => {} };
  }
  const purge = options.purge;
  await queue.upsertJobScheduler(PURGE_SCHEDULER_ID, { every: options.everyMs }, {
    name: 'purge',
    // A run's job is needed only while it runs: the last few are kept for the board.
    opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 10 } },
  });
  const worker = new Worker(queue.name, async () => {
    const report = await purge();
    logger.info({ ...report }, 'purge done');
    return report;
  }, { connection, prefix, concurrency: 1 });
  worker.on('failed', (_job, error) => logger.warn({ err: error }, 'purge failed; the next run tries again'));
  worker.on('error', (error) => logger.warn({ err: error, queue: worker.name }, 'worker error'));
  return {
    async close() {
      await worker.close();
      await closeQueue();
    },
  };
}
