import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { coerceError } from '../errors/errors.ts';
import { withTimeout } from '../time/with-timeout.ts';

/** What the gauge reads of a queue. BullMQ's Queue fits it, so metrics/ needs nothing else of the queue code. */
export interface CountedQueue {
  readonly name: string;
  getJobCounts(): Promise<Record<string, number>>;
}

/** The queues whose jobs are counted: the poll shards and the completion queue (MonitorQueues fits it). */
export interface CountedQueues {
  readonly pollShards: readonly CountedQueue[];
  readonly completions: CountedQueue;
}

/** Longest a scrape waits for Redis before it answers without the queue counts. */
const COUNT_TIMEOUT_MS = 2_000;

/**
 * Jobs per queue and state, read from Redis at each scrape (so every process that serves /metrics
 * reports the same, shared numbers). When Redis does not answer, the scrape still succeeds without
 * them and jobwatch_queue_count_errors_total goes up in that same scrape.
 */
export function registerQueueMetrics(registry: Registry, queues: CountedQueues, logger: Logger): void {
  // The registry collects its metrics concurrently, in the order they were registered: the gauge
  // starts the count, and the error counter waits for it before it reports.
  let counting: Promise<void> = Promise.resolve();
  const errors = new Counter({
    name: 'jobwatch_queue_count_errors_total',
    help: 'Scrapes that could not read the queue job counts from Redis',
    registers: [],
    collect: () => counting,
  });
  new Gauge({
    name: 'jobwatch_queue_jobs',
    help: 'Jobs in each queue by state (polls: one job per running monitor; completions: final records waiting for Postgres, and recently written ones)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    collect() {
      counting = (async () => {
        this.reset();
        try {
          for (const queue of [...queues.pollShards, queues.completions]) {
            const counts = await withTimeout(queue.getJobCounts(), COUNT_TIMEOUT_MS, 'Redis');
            for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
          }
        } catch (caught) {
          this.reset();
          errors.inc();
          logger.warn({ err: coerceError(caught) }, 'could not read queue counts for /metrics');
        }
      })();
      return counting;
    },
  });
  registry.registerMetric(errors);
}
