import type { RedisConnection } from '../redis/connection.ts';
import type { PollQueue } from './queues.ts';

/** What the overdue gauges report: see readOverduePolls. */
export interface OverduePolls {
  /** Polls due more than the threshold ago that have not started. */
  count: number;
  /** How long ago the most overdue poll that has not started was due, in ms; 0 when none is due. */
  oldestLateMs: number;
}

/**
 * BullMQ's delayed-set score: the due time in ms shifted left by 12 bits, a counter in the low bits
 * (getDelayedScore.lua). A poll due at or before `at` scores below (at + 1) * 0x1000.
 */
const SCORE_PER_MS = 0x1000;

/**
 * Polls that should have started and have not, read from Redis with a few commands per shard
 * whatever the number of monitors (a ZCOUNT, a ZRANGE of one, an LLEN, an LINDEX and one job's
 * HMGET), so that a scrape stays cheap at a million monitors:
 * - delayed polls due more than `thresholdMs` ago: no worker had a free slot to move them on (all
 *   slots busy, or no worker at all);
 * - plus every waiting poll (moved on, due, not yet taken) when the oldest waiting one was due more
 *   than `thresholdMs` ago. Waiting polls are taken oldest first, so when the oldest is not overdue
 *   none is; when it is, the newer ones are counted too (an over-count of at most the polls moved
 *   on within the threshold).
 */
export async function readOverduePolls(redis: RedisConnection, shards: readonly PollQueue[], now: number, thresholdMs: number): Promise<OverduePolls> {
  const perShard = await Promise.all(shards.map((shard) => overdueOf(redis, shard, now, thresholdMs)));
  return {
    count: perShard.reduce((sum, shard) => sum + shard.count, 0),
    oldestLateMs: Math.max(0, ...perShard.map((shard) => shard.oldestLateMs)),
  };
}

async function overdueOf(redis: RedisConnection, shard: PollQueue, now: number, thresholdMs: number): Promise<OverduePolls> {
  const [late, first, waiting, oldestWaitingId] = await Promise.all([
    redis.zcount(shard.keys.delayed!, 0, (now - thresholdMs) * SCORE_PER_MS - 1),
    redis.zrange(shard.keys.delayed!, 0, 0, 'WITHSCORES'),
    redis.llen(shard.keys.wait!),
    // Jobs are pushed on the left and taken from the right: the oldest waits at the right end.
    redis.lindex(shard.keys.wait!, -1),
  ]);
  const firstDueAt = first[1] === undefined ? now : Math.floor(Number(first[1]) / SCORE_PER_MS);
  const waitingDueAt = oldestWaitingId ? await dueAtOf(redis, shard, oldestWaitingId, now) : now;
  const waitingLateMs = Math.max(0, now - waitingDueAt);
  return {
    count: late + (waitingLateMs > thresholdMs ? waiting : 0),
    oldestLateMs: Math.max(0, now - firstDueAt, waitingLateMs),
  };
}

/**
 * When a waiting poll was due: its `timestamp` plus the delay in its `opts` (BullmqSeam.reschedule
 * keeps `timestamp + delay` at the next poll's time; BullMQ zeroes the job's own `delay` field when
 * it moves the job on). A job gone meanwhile, or unreadable, counts as due now.
 */
async function dueAtOf(redis: RedisConnection, shard: PollQueue, jobId: string, now: number): Promise<number> {
  const [timestamp, opts] = await redis.hmget(shard.toKey(jobId), 'timestamp', 'opts');
  if (!timestamp) return now;
  let delay = 0;
  try {
    delay = Number((JSON.parse(opts ?? '{}') as { delay?: unknown }).delay) || 0;
  } catch {
    // Not ours to judge here: the job is still counted, as due at its timestamp.
  }
  return Number(timestamp) + delay;
}
