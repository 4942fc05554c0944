import type { PushedStatus } from '../monitor/push.ts';
import type { MonitorQueues } from './queues.ts';
import type { RedisConnection } from '../redis/connection.ts';

/**
 * Statuses pushed for a monitor id that has not started yet (a fast job that ended before its
 * monitor was started): kept for JOBWATCH_EARLY_STATUS_TTL, one key per monitor beside its poll job,
 * and taken by the monitor's first poll, which then ends it without a status call.
 */
export class EarlyStatuses {
  constructor(
    private readonly redis: RedisConnection,
    private readonly queues: MonitorQueues,
  ) {}

  private keyOf(monitorKey: string): string {
    return `${this.queues.pollsOf(monitorKey).toKey('early')}:${encodeURIComponent(monitorKey)}`;
  }

  /** Keeps the status (the latest push wins) for `ttlMs`. */
  async keep(monitorKey: string, pushed: PushedStatus, ttlMs: number): Promise<void> {
    await this.redis.set(this.keyOf(monitorKey), JSON.stringify(pushed), 'PX', ttlMs);
  }

  /** The status kept for the monitor, removed as it is read (GETDEL); undefined when there is none. */
  async take(monitorKey: string): Promise<PushedStatus | undefined> {
    const value = await this.redis.getdel(this.keyOf(monitorKey));
    return value === null ? undefined : (JSON.parse(value) as PushedStatus);
  }
}
