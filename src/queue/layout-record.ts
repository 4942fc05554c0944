import type { JobType } from 'bullmq';
import { ConfigError } from '../errors/errors.ts';
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

/** Job states of a monitor that is still in the old layout's queues. */
const LIVE_STATES: JobType[] = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children'];

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
        `${describe(previous)}; keep that until they have ended, or use another JOBWATCH_PREFIX for the new layout`,
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
    let live = 0;
    for (const queue of [...queues.pollShards, queues.completions]) {
      const counts = await queue.getJobCounts(...LIVE_STATES);
      live += Object.values(counts).reduce((sum, count) => sum + count, 0);
    }
    return live;
  } finally {
    await queues.close();
  }
}

function describe(layout: QueueLayout): string {
  return `JOBWATCH_SHARDS=${layout.shards}${layout.hashTagged && layout.shards === 1 ? ' on a Redis Cluster' : ''}`;
}
