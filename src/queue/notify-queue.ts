import { Queue } from 'bullmq';
import type { RedisConnection } from '../redis/connection.ts';

/** The name of the job a monitor's end adds to a user's queue. */
export const MONITOR_ENDED_JOB = 'monitor.ended';

/** How long the "already added" marker outlives the notification's retries. */
const MARKER_MARGIN_MS = 24 * 3_600_000;

/**
 * Adds a monitor's final record to the BullMQ queues users name in `notifyQueue`, exactly once per
 * monitor, with BullMQ's documented API only. The job (id = monitor id) is added with BullMQ's
 * deduplication in its throttle mode: the add's own script sets the deduplication key in the same
 * step as the job, and with a TTL that key outlives the job's completion (and removal on
 * complete), so a retry after a crash adds nothing even when the user's worker has already taken
 * the job and it is gone. A marker of our own follows and is looked for first: it also survives
 * the user removing the job by hand (`job.remove`, `queue.clean`), which deletes a deduplication
 * key; only a crash between the add and the marker, followed by such a removal before the retry,
 * could add the job twice. (Two attempts at the same notification at once are ruled out by the
 * outbox's lease.)
 */
export class NotifyQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly markerTtlMs: number;

  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    notifyForMs: number,
  ) {
    this.markerTtlMs = notifyForMs + MARKER_MARGIN_MS;
  }

  /**
   * Adds the job (its id the monitor's key: namespace.ts) unless this monitor's was added before.
   * `trace`, with tracing on, is the W3C `traceparent` (and `tracestate`) of the delivery's span:
   * it goes where BullMQ carries a job's trace context, `opts.telemetry.metadata`, serialized as
   * BullMQ's OpenTelemetry integration (bullmq-otel) reads it, so that a consumer whose worker has
   * `telemetry` set processes the job as a child of the delivery. The job's data stays the record.
   */
  async addOnce(queueName: string, monitorKey: string, body: string, trace?: Record<string, string>): Promise<void> {
    const marker = `${this.prefix}:${queueName}:jobwatch-added:${monitorKey}`;
    if ((await this.connection.get(marker)) !== null) return;
    await this.queueOf(queueName).add(MONITOR_ENDED_JOB, JSON.parse(body) as unknown, {
      jobId: monitorKey,
      deduplication: { id: `jobwatch-added:${monitorKey}`, ttl: this.markerTtlMs },
      ...(trace?.traceparent ? { telemetry: { metadata: JSON.stringify(trace) } } : {}),
    });
    await this.connection.set(marker, String(Date.now()), 'PX', this.markerTtlMs);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  private queueOf(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Connection errors surface as failed attempts (and the worker logs the connection's own).
      queue.on('error', () => {});
      this.queues.set(name, queue);
    }
    return queue;
  }
}
