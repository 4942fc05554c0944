import type { Config } from '../config/config.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { readNotificationBacklog } from '../db/notification-outbox.ts';
import { readOpenCircuits } from '../gate/open-circuits.ts';
import { NOTIFICATION_BACKLOG_CAP, OVERDUE_AFTER_SECONDS, type ScrapeReaders } from '../metrics/scrape-gauges.ts';
import { readOverduePolls } from '../queue/overdue-polls.ts';
import type { MonitorQueues } from '../queue/queues.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { evictionPolicySafe } from '../redis/eviction-policy.ts';

/**
 * What a process's /metrics reads at each scrape, over its own connections: overdue polls, Redis's
 * eviction policy and circuits from Redis; the notification backlog from Postgres when it has one.
 */
export function scrapeReaders(config: Pick<Config, 'prefix'>, redis: RedisConnection, queues: MonitorQueues, database?: DatabaseHandle): ScrapeReaders {
  return {
    overduePolls: () => readOverduePolls(redis, queues.pollShards, Date.now(), OVERDUE_AFTER_SECONDS * 1_000),
    evictionPolicySafe: () => evictionPolicySafe(redis),
    openCircuits: (keys) => readOpenCircuits(redis, config.prefix, keys),
    ...(database ? { notificationBacklog: () => readNotificationBacklog(database.db, NOTIFICATION_BACKLOG_CAP) } : {}),
  };
}
