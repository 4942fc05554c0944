import type { MonitorQueues } from './queues.ts';
import type { RedisConnection } from './redis.ts';

/** How long a cancel request outlives its monitor's expiry if nobody clears it (a crash at the wrong moment). */
const REQUEST_TTL_MARGIN_MS = 24 * 3_600_000;

/**
 * Cancel requests, one key per monitor inside the poll queue's key space. A request must outlive
 * the poll that is in flight when it arrives: that poll, or the next one, sees it and ends the
 * monitor as canceled. So it is cleared only once the poll job is gone for good: by the canceller
 * when it removed the job itself, or by the worker after the job completed. A TTL past the
 * monitor's expiry cleans up after a crash between the two.
 */
export class Cancellations {
  /** Requests live beside each monitor's poll job, in its queue's key space (and hash slot). */
  constructor(
    private readonly redis: RedisConnection,
    private readonly queues: MonitorQueues,
  ) {}

  /** The monitor's request key; the fast re-schedule script checks it (see monitor-store). */
  keyOf(monitorId: string): string {
    return `${this.queues.pollsOf(monitorId).toKey('cancel')}:${encodeURIComponent(monitorId)}`;
  }

  async request(monitorId: string, at: number, expireAt: number): Promise<void> {
    const ttl = Math.max(0, expireAt - at) + REQUEST_TTL_MARGIN_MS;
    await this.redis.set(this.keyOf(monitorId), String(at), 'PX', ttl);
  }

  async isRequested(monitorId: string): Promise<boolean> {
    return (await this.redis.exists(this.keyOf(monitorId))) === 1;
  }

  async clear(monitorId: string): Promise<void> {
    await this.redis.del(this.keyOf(monitorId));
  }
}
