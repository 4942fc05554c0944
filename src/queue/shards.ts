/**
 * Sharding: a BullMQ queue lives in one Redis hash slot, so one poll queue is one Redis node's worth
 * of polls. With JOBWATCH_SHARDS=N, monitors are spread over N poll queues by a stable hash of
 * the monitor id, and each queue's name carries its own hash tag (`{polls-3}`), so a Redis
 * Cluster places the shards on different nodes.
 */
export interface QueueLayout {
  shards: number;
  /** Whether queue names carry hash tags (sharded or on a Redis Cluster). */
  hashTagged: boolean;
}

/** One poll queue named `polls`, as on a single Redis: the layout of an unsharded deployment. */
export const SINGLE_QUEUE: QueueLayout = Object.freeze({ shards: 1, hashTagged: false });

export function layoutOf(shards: number, cluster: boolean): QueueLayout {
  return { shards, hashTagged: shards > 1 || cluster };
}

/** FNV-1a, 32 bits: stable across processes, machines and releases, which the shard of a monitor must be. */
export function shardOf(monitorId: string, shards: number): number {
  if (shards === 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(monitorId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

export function pollQueueName(shard: number, layout: QueueLayout, base: string): string {
  return layout.hashTagged ? `{${base}-${shard}}` : base;
}

/**
 * The name of a queue that is one queue in every layout (the completions, the maintenance queue):
 * hash-tagged when the layout is, so that the queue's keys share one slot on a Redis Cluster.
 */
export function unshardedQueueName(layout: QueueLayout, base: string): string {
  return layout.hashTagged ? `{${base}}` : base;
}

/**
 * Polls one process runs at once on each shard: the process's concurrency split evenly, so that N
 * shards do not multiply it by N.
 */
export function concurrencyPerShard(concurrency: number, shards: number): number {
  return Math.max(1, Math.ceil(concurrency / shards));
}
