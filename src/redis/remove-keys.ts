import { Cluster, type Redis } from 'ioredis';

/** Keys asked for, and removed, per round trip. */
const BATCH = 500;

/**
 * Removes every key under `<prefix>:`, on one Redis or on each master of a cluster: what a run
 * with a prefix of its own (the quickstart's) made, once it is over. Returns how many it removed.
 */
export async function removeKeysUnder(connection: Redis | Cluster, prefix: string): Promise<number> {
  const nodes = connection instanceof Cluster ? connection.nodes('master') : [connection];
  let removed = 0;
  for (const node of nodes) removed += await removeFromNode(node, `${escapeGlob(prefix)}:*`);
  return removed;
}

async function removeFromNode(node: Redis, pattern: string): Promise<number> {
  let removed = 0;
  for await (const keys of node.scanStream({ match: pattern, count: BATCH }) as AsyncIterable<string[]>) {
    if (keys.length === 0) continue;
    // One key per UNLINK: on a cluster node, keys of different slots cannot go in one command.
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.unlink(key);
    await pipeline.exec();
    removed += keys.length;
  }
  return removed;
}

/** The prefix as a SCAN pattern matching it literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
