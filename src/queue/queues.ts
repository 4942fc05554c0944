import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { MonitorContext, MonitorResult } from '../monitor/context.ts';

/** Each monitor's one poll job lives here, delayed between polls. */
export const POLL_QUEUE = 'polls';
/** A final record waits here until it is persisted to Postgres. */
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
  return Math.min(MAX_INFRASTRUCTURE_BACKOFF_MS, 500 * 2 ** Math.max(0, attemptsMade - 1));
}

export interface MonitorQueues {
  readonly polls: Queue<MonitorContext, MonitorResult>;
  readonly completions: Queue<MonitorResult, boolean>;
  close(): Promise<void>;
}

export function openQueues(connection: Redis, prefix: string): MonitorQueues {
  const polls = new Queue<MonitorContext, MonitorResult>(POLL_QUEUE, { connection, prefix });
  const completions = new Queue<MonitorResult, boolean>(COMPLETION_QUEUE, { connection, prefix });
  return {
    polls,
    completions,
    close: async () => {
      await Promise.all([polls.close(), completions.close()]);
    },
  };
}
