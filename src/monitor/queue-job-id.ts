/**
 * BullMQ refuses custom job ids that contain `:` or are made of digits only (they would clash
 * with its own keys and counters), but those are valid monitor ids. So every monitor id is mapped,
 * reversibly and without collisions, to a BullMQ job id: a fixed prefix, then the id
 * percent-encoded (which turns `:` into `%3A` and `%` into `%25`). What is mapped is the monitor's
 * key (namespace.ts), which is its id in the default namespace.
 */
const PREFIX = 'm-';

export function toQueueJobId(monitorKey: string): string {
  return PREFIX + encodeURIComponent(monitorKey);
}

export function fromQueueJobId(queueJobId: string): string {
  if (!queueJobId.startsWith(PREFIX)) throw new Error(`not a monitor job id: ${queueJobId}`);
  return decodeURIComponent(queueJobId.slice(PREFIX.length));
}
