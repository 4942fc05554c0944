import { Worker, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { createVocabulary } from '../monitor/statuses.ts';
import type { PollPolicy } from '../monitor/decide.ts';
import type { MonitorContext, MonitorResult } from '../monitor/context.ts';
import { keyOf } from '../monitor/namespace.ts';
import type { ResultStore } from '../monitor/result-store.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import { REDIS_CLOSE_TIMEOUT_MS, settleWithin, TimedOutError, withTimeout } from '../time/with-timeout.ts';
import { EndRequests } from './end-requests.ts';
import { EarlyStatuses } from './early-statuses.ts';
import { createCompletionProcessor } from './completion-processor.ts';
import type { FaultHook } from './fault-points.ts';
import type { PollObserver } from '../monitor/poll-observer.ts';
import { BullmqSeam } from './bullmq-seam.ts';
import { createPollProcessor } from './poll-processor.ts';
import { assertLayout } from './layout-record.ts';
import { cappedExponentialBackoff, openMonitorQueues, type MonitorQueues } from './queues.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { concurrencyPerShard } from './shards.ts';

/**
 * A monitor lives through many polls and possibly many crashed workers, and BullMQ's stalled
 * counter on its one job only grows. The default (1) would fail a long-lived monitor after its
 * second crash; expiry, not a stall budget, is what ends a monitor.
 */
const MAX_STALLED_COUNT = 1_000_000;

/**
 * Completions persisted at once per process. Each waits a few milliseconds in the ResultBatcher
 * for others, so this is also the largest batch one INSERT can gather.
 */
const COMPLETION_CONCURRENCY = 100;

export interface WorkerRoles {
  /** Run the poll worker. @defaultValue true */
  polls: boolean;
  /** Run the completion worker. @defaultValue true */
  completions: boolean;
}

/** @internal */
export interface StartWorkersOptions {
  config: Config;
  connection: RedisConnection;
  statusProvider: StatusProvider;
  logger: Logger;
  /** Where the completion worker writes final records; needed when it runs. */
  results?: ResultStore;
  roles?: WorkerRoles;
  /** Polls in flight at once in this process, over all shards. @defaultValue config.concurrency */
  concurrency?: number;
  faultHook?: FaultHook;
  /** Metrics: told about polls, ends and persisted results. */
  observer?: PollObserver;
}

export interface RunningWorkers {
  /**
   * Stops taking new jobs and waits up to `timeoutMs` for in-flight ones; after that they are left
   * to BullMQ's stall recovery, which another worker picks up. Resolves true when all finished.
   */
  close(timeoutMs?: number): Promise<boolean>;
}

export function policyFromConfig(config: Config): PollPolicy {
  return {
    vocabulary: createVocabulary({ running: config.runningStatuses }),
    maxConsecutiveFailures: config.maxStatusFailures,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    notFoundEndsMonitor: config.notFoundEndsMonitor,
    minIntervalMs: config.minIntervalMs,
  };
}

/** Checks the queue layout against the one running monitors use, then starts the workers. @internal */
export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const { config, connection, logger } = options;
  const roles = options.roles ?? { polls: true, completions: true };
  const queues = openMonitorQueues(connection, config);
  try {
    await assertLayout(connection, config.prefix, queues.layout);
  } catch (error) {
    await queues.close();
    throw error;
  }
  const shared: WorkerOptions = {
    connection,
    prefix: config.prefix,
    maxStalledCount: MAX_STALLED_COUNT,
    // Workers renew locks every half lockDuration, however long a status call takes; a crashed
    // worker's polls are found by the stalled check and taken over within about 2 x lockDuration.
    lockDuration: config.lockDurationMs,
    stalledInterval: config.lockDurationMs,
    settings: { backoffStrategy: cappedExponentialBackoff },
  };
  const workers = [
    ...(roles.polls ? startPollWorkers(options, queues, shared) : []),
    ...(roles.completions ? [startCompletionWorker(options, queues, shared)] : []),
  ];
  for (const worker of workers) logWorkerEvents(worker, logger);
  return { close: (timeoutMs = config.shutdownTimeoutMs) => closeWorkers(workers, queues, timeoutMs, logger) };
}

/** One poll worker per shard: every process consumes every shard, so any can take over a crashed one's polls. */
function startPollWorkers(options: StartWorkersOptions, queues: MonitorQueues, shared: WorkerOptions): Worker[] {
  const { config, connection, logger } = options;
  const endRequests = new EndRequests(connection, queues);
  const bullmq = new BullmqSeam({ connection, endRequests, path: config.bullmqPath, warn: (message) => logger.warn(message) });
  const processor = createPollProcessor({
    statusProvider: options.statusProvider,
    completions: queues.completions,
    endRequests,
    earlyStatuses: new EarlyStatuses(connection, queues),
    bullmq,
    policy: policyFromConfig(config),
    logger,
    faultHook: options.faultHook,
    observer: options.observer,
  });
  const concurrency = concurrencyPerShard(options.concurrency ?? config.concurrency, queues.pollShards.length);
  const counted = countingSlots(processor, concurrency * queues.pollShards.length, options.observer);
  return queues.pollShards.map((shard) => {
    const pollWorker = new Worker<MonitorContext, MonitorResult>(shard.name, counted, { ...shared, concurrency });
    // Only now is the poll job gone for good, so only now may an end request (cancel or push) be forgotten.
    pollWorker.on('completed', (job) => {
      endRequests.clear(keyOf(job.data)).catch((error) => logger.warn({ err: error }, 'could not clear an end request'));
    });
    return pollWorker;
  });
}

/**
 * The processor, telling the observer how many of the process's poll slots are busy as polls begin
 * and end (for jobwatch_poll_slots_busy); without an observer that listens, the processor itself.
 */
function countingSlots<P extends (...args: never[]) => Promise<unknown>>(processor: P, capacity: number, observer: PollObserver | undefined): P {
  const tell = observer?.pollSlots?.bind(observer);
  if (!tell) return processor;
  let busy = 0;
  tell({ busy, capacity });
  return (async (...args: Parameters<P>) => {
    tell({ busy: ++busy, capacity });
    try {
      return await processor(...args);
    } finally {
      tell({ busy: --busy, capacity });
    }
  }) as P;
}

function startCompletionWorker(options: StartWorkersOptions, queues: MonitorQueues, shared: WorkerOptions): Worker {
  if (!options.results) throw new Error('the completion worker needs a ResultStore (options.results)');
  const processor = createCompletionProcessor({ results: options.results, logger: options.logger, observer: options.observer });
  return new Worker<MonitorResult, boolean>(queues.completions.name, processor, { ...shared, concurrency: COMPLETION_CONCURRENCY });
}

function logWorkerEvents(worker: Worker, logger: Logger): void {
  worker.on('error', (error) => logger.error({ err: error, queue: worker.name }, 'worker error'));
  worker.on('failed', (job, error) => {
    // A re-scheduled poll "fails" with DelayedError by design: not worth a line.
    if (job && error.name !== 'DelayedError') {
      logger.warn({ err: error, queue: worker.name, queueJobId: job.id, attemptsMade: job.attemptsMade }, 'job attempt failed');
    }
  });
}

/**
 * Stops taking jobs and waits up to `timeoutMs` for in-flight ones; past that they are left to
 * stall recovery. BullMQ's close(true) returns the close already under way, which waits for the
 * polls: it is given a moment, no more, and the caller then exits or cuts the connection.
 */
async function closeWorkers(workers: readonly Worker[], queues: MonitorQueues, timeoutMs: number, logger: Logger): Promise<boolean> {
  const finished = await withTimeout(Promise.all(workers.map((worker) => worker.close())), timeoutMs, 'in-flight polls')
    .then(() => true, (error: unknown) => {
      if (error instanceof TimedOutError) return false;
      throw error;
    });
  if (!finished) {
    logger.warn({ timeoutMs }, 'in-flight polls did not finish in time; leaving them to stall recovery');
    await settleWithin(Promise.all(workers.map((worker) => worker.close(true))), REDIS_CLOSE_TIMEOUT_MS);
    return false;
  }
  await settleWithin(queues.close(), REDIS_CLOSE_TIMEOUT_MS);
  return true;
}
