import { Job, Queue } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import type { RedisConnection } from './redis.ts';

/** The name of the job a monitor's end adds to a user's queue. */
export const MONITOR_ENDED_JOB = 'monitor.ended';

/** How long the "already added" marker outlives the notification's retries. */
const MARKER_MARGIN_S = 24 * 3_600;

/**
 * Adds a monitor's final record to the BullMQ queues users name in `notifyQueue`, exactly once per
 * monitor: the job (id = monitor id) and a marker key are written in one MULTI, and the marker is
 * looked for first. A retry after a crash finds the marker and adds nothing, even when the user's
 * worker has already taken the job and removed it. (Two attempts at the same notification at once
 * are ruled out by the outbox's lease.) `Job.addJob` with a transaction is how BullMQ's own
 * FlowProducer adds jobs atomically with other writes.
 */
export class NotifyQueues {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    private readonly markerTtlMs: number,
  ) {}

  /** Adds the job unless this monitor's was added before; resolves true when it added it now. */
  async addOnce(queueName: string, monitorId: string, body: string): Promise<boolean> {
    const queue = this.queueOf(queueName);
    // BullMQ's own client: its transactions know how to run BullMQ's scripts.
    const client = await queue.client;
    const marker = `${this.prefix}:${queueName}:jobwatch-added:${monitorId}`;
    if ((await client.get(marker)) !== null) return false;
    const job = new Job(queue, MONITOR_ENDED_JOB, JSON.parse(body) as unknown, { jobId: monitorId }, monitorId);
    const multi = client.multi();
    void job.addJob(multi);
    // BullMQ declares only the commands it uses in a transaction; underneath is ioredis's, which has SET.
    (multi as unknown as ChainableCommander).set(marker, String(Date.now()), 'EX', Math.ceil(this.markerTtlMs / 1_000) + MARKER_MARGIN_S);
    const replies = await multi.exec();
    const failed = replies?.find(([error]) => error);
    if (!replies || failed) throw failed?.[0] ?? new Error(`adding the job of monitor ${monitorId} to queue ${queueName} was aborted; will retry`);
    return true;
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
