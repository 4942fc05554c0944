import { ConfigError } from '../errors/errors.ts';
import { PENDING_RECORD_STATES, RUNNING_JOB_STATES } from './job-states.ts';
import { openQueues, type MonitorQueues } from './queues.ts';
import type { RedisConnection } from '../redis/connection.ts';
import type { QueueLayout } from './shards.ts';

/**
 * The queue layout a deployment's monitors were started with, kept in Redis beside them. A monitor's
 * shard is a hash of its id modulo the shard count, so a process with another JOBWATCH_SHARDS would
 * look for running monitors in the wrong queues (and leave them unpolled). Every process checks
 * its layout against the record before it touches a queue; the record may only change while no
 * monitor is running or waiting to be persisted.
 */

export function layoutKey(prefix: string): string {
  return `${prefix}:layout`;
}

export async function assertLayout(redis: RedisConnection, prefix: string, layout: QueueLayout): Promise<void> {
  const key = layoutKey(prefix);
  const wanted = JSON.stringify(layout);
  let stored = await redis.get(key);
  if (stored === null) {
    await redis.set(key, wanted, 'NX');
    stored = await redis.get(key); // another process may have set it first
  }
  if (stored === wanted) return;

  const previous = parseLayout(stored);
  const live = await liveMonitors(redis, prefix, previous);
  if (live > 0) {
    throw new ConfigError(
      `JOBWATCH_SHARDS: ${describe(layout)} does not match the ${live} monitors under prefix ${prefix}, started with ` +
        `${describe(previous)}; keep that until they have ended and their records are in Postgres (retry or remove failed ones in Bull Board), or use another JOBWATCH_PREFIX for the new layout`,
    );
  }
  // Nothing runs in the old layout: the new one takes over. A process racing this with yet another
  // layout finds this record and checks the same way.
  await redis.set(key, wanted);
}

function parseLayout(stored: string | null): QueueLayout {
  try {
    const parsed = JSON.parse(stored ?? '') as Partial<QueueLayout>;
    if (Number.isInteger(parsed.shards) && typeof parsed.hashTagged === 'boolean') return parsed as QueueLayout;
  } catch {
    // fall through
  }
  throw new ConfigError(`the layout record ${stored === null ? 'vanished' : 'is unreadable'}; is another program using JOBWATCH_PREFIX's keys?`);
}

async function liveMonitors(redis: RedisConnection, prefix: string, layout: QueueLayout): Promise<number> {
  const queues: MonitorQueues = openQueues(redis, prefix, layout);
  try {
    // A record Postgres refused (failed) counts too: in the new layout's queues it would be lost from sight.
    const counts = [
      ...(await Promise.all(queues.pollShards.map((queue) => queue.getJobCounts(...RUNNING_JOB_STATES)))),
      await queues.completions.getJobCounts(...PENDING_RECORD_STATES),
    ];
    return counts.flatMap((byState) => Object.values(byState)).reduce((sum, count) => sum + count, 0);
  } finally {
    await queues.close();
  }
}

function describe(layout: QueueLayout): string {
  return `JOBWATCH_SHARDS=${layout.shards}${layout.hashTagged && layout.shards === 1 ? ' on a Redis Cluster' : ''}`;
}
