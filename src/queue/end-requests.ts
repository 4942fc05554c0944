import type { MonitorResult } from '../monitor/context.ts';
import { keyOf } from '../monitor/namespace.ts';
import type { MonitorQueues } from './queues.ts';
import type { RedisConnection } from '../redis/connection.ts';

/** How long an end request outlives its monitor's expiry if nobody clears it (a crash at the wrong moment). */
const REQUEST_TTL_MARGIN_MS = 24 * 3_600_000;

/**
 * End requests (a cancel, or a pushed terminal status), one key per monitor inside the poll queue's
 * key space. The key holds the final record the request decided, and is written with SET NX: the
 * first request decides the end, and a later one (a push racing a cancel) takes the record already
 * there. A request must outlive the poll that is in flight when it arrives: that poll, or the next
 * one, sees it (in the re-schedule script) and ends the monitor with the record. So it is cleared
 * only once the poll job is gone for good: by the requester when it removed the job itself, or by
 * the worker after the job completed. A TTL past the monitor's expiry cleans up after a crash
 * between the two.
 */
export class EndRequests {
  /** Requests live beside each monitor's poll job, in its queue's key space (and hash slot). */
  constructor(
    private readonly redis: RedisConnection,
    private readonly queues: MonitorQueues,
  ) {}

  /** The request key of a monitor (by its key, namespace.ts); the fast re-schedule script checks it (see bullmq-seam.ts). */
  keyOf(monitorKey: string): string {
    return `${this.queues.pollsOf(monitorKey).toKey('cancel')}:${encodeURIComponent(monitorKey)}`;
  }

  /**
   * Asks for the monitor to end with `result`, unless another request came first: returns the
   * record that decides the end, `result` or the earlier one. (SET NX GET needs Redis 7.)
   */
  async request(result: MonitorResult, expireAt: number): Promise<MonitorResult> {
    const ttl = Math.max(0, expireAt - result.finishedAt) + REQUEST_TTL_MARGIN_MS;
    const earlier = await this.redis.set(this.keyOf(keyOf(result)), JSON.stringify(result), 'PX', ttl, 'NX', 'GET');
    return parseRecord(earlier) ?? result;
  }

  async isRequested(monitorKey: string): Promise<boolean> {
    return (await this.redis.exists(this.keyOf(monitorKey))) === 1;
  }

  /** The record a request decided; undefined when there is none (or it was written by a release that stored no record). */
  async requestedEnd(monitorKey: string): Promise<MonitorResult | undefined> {
    return parseRecord(await this.redis.get(this.keyOf(monitorKey)));
  }

  async clear(monitorKey: string): Promise<void> {
    await this.redis.del(this.keyOf(monitorKey));
  }
}

function parseRecord(value: string | null): MonitorResult | undefined {
  if (!value?.startsWith('{')) return undefined;
  return JSON.parse(value) as MonitorResult;
}
