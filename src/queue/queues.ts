import { Queue, type JobsOptions } from 'bullmq';
import type { Config } from '../config/config.ts';
import type { MonitorContext, MonitorResult } from '../monitor/context.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { backoffDelay } from '../time/backoff.ts';
import { unshardedQueueName, layoutOf, pollQueueName, shardOf, SINGLE_QUEUE, type QueueLayout } from './shards.ts';

/** Each monitor's one poll job lives here, delayed between polls (`{polls-<shard>}` when sharded). */
export const POLL_QUEUE = 'polls';
/** A final record waits here until it is persisted to Postgres (`{completions}` when sharded). */
export const COMPLETION_QUEUE = 'completions';

/** Job names, as shown in Bull Board. */
export const POLL_JOB = 'poll';
export const COMPLETION_JOB = 'persist-result';

/**
 * Retries for failures outside a status check (Redis or Postgres unreachable). A monitor's job lives
 * for its whole life and attempts only grow, so the budget is "until it works": expiry still ends
 * the monitor on time, and nothing is dropped because an outage lasted long.
 */
export const INFRASTRUCTURE_ATTEMPTS = 1_000_000;
/** Longest wait between two such retries. */
export const MAX_INFRASTRUCTURE_BACKOFF_MS = 30_000;

export const POLL_JOB_OPTIONS: JobsOptions = {
  attempts: INFRASTRUCTURE_ATTEMPTS,
  backoff: { type: 'capped-exponential' },
  removeOnComplete: true,
  removeOnFail: false,
};

export const COMPLETION_JOB_OPTIONS: JobsOptions = {
  attempts: INFRASTRUCTURE_ATTEMPTS,
  backoff: { type: 'capped-exponential' },
  // Kept an hour for Bull Board; correctness never depends on it (the insert is idempotent).
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: false,
};

/** The worker-side strategy behind `backoff: { type: 'capped-exponential' }`: 0.5s, 1s, 2s, ... 30s. */
export function cappedExponentialBackoff(attemptsMade: number): number {
  return backoffDelay(attemptsMade, { baseMs: 500, maxMs: MAX_INFRASTRUCTURE_BACKOFF_MS });
}

export type PollQueue = Queue<MonitorContext, MonitorResult>;
export type CompletionQueue = Queue<MonitorResult, boolean>;

export interface MonitorQueues {
  readonly layout: QueueLayout;
  /** One poll queue per shard; a monitor's job is always in `pollsOf(monitorKey)` (namespace.ts). */
  readonly pollShards: readonly PollQueue[];
  pollsOf(monitorKey: string): PollQueue;
  readonly completions: CompletionQueue;
  close(): Promise<void>;
}

/** The queues of a deployment, laid out as its config says (shards, cluster). */
export function openMonitorQueues(connection: RedisConnection, config: Pick<Config, 'prefix' | 'shards' | 'redisClusterNodes'>): MonitorQueues {
  return openQueues(connection, config.prefix, layoutOf(config.shards, config.redisClusterNodes !== undefined));
}

export function openQueues(connection: RedisConnection, prefix: string, layout: QueueLayout = SINGLE_QUEUE): MonitorQueues {
  const pollShards = Array.from({ length: layout.shards }, (_, shard) =>
    new Queue<MonitorContext, MonitorResult>(pollQueueName(shard, layout, POLL_QUEUE), { connection, prefix }));
  const completions = new Queue<MonitorResult, boolean>(unshardedQueueName(layout, COMPLETION_QUEUE), { connection, prefix });
  return {
    layout,
    pollShards,
    pollsOf: (monitorId) => pollShards[shardOf(monitorId, layout.shards)]!,
    completions,
    close: async () => {
      await Promise.all([...pollShards, completions].map((queue) => queue.close()));
    },
  };
}
