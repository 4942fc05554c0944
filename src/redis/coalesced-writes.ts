import type { Cluster, Redis } from 'ioredis';
import type { Writable } from 'node:stream';

/**
 * Sends the commands one connection is given in one turn of the event loop in one socket write.
 *
 * ioredis writes each command to its socket as it is issued. A worker with a hundred polls in flight
 * issues them from a hundred promise continuations that all run in the same turn (the replies of one
 * socket read resolve them together), so each command was a system call of its own, and a read of its
 * own in Redis: a fifth of a worker's CPU went to `writeBuffer` in the bench's profile. Corking the
 * socket at a turn's first command and uncorking it once the turn's ticks and microtasks have run
 * sends the same bytes, in the same order, in one `writev`; no command waits for a timer, and replies
 * come back as they did. This is not ioredis's auto-pipelining, which re-routes commands through
 * pipelines (and has been reported to confuse BullMQ): here only the socket's writes are grouped.
 *
 * Applied to a cluster, it groups the writes of each node's connection, including nodes found later.
 */
export function coalesceWrites(connection: Redis | Cluster): void {
  if (connection.isCluster) {
    const cluster = connection as Cluster;
    for (const node of cluster.nodes()) coalesceNodeWrites(node);
    cluster.on('+node', (node: Redis) => coalesceNodeWrites(node));
    return;
  }
  coalesceNodeWrites(connection as Redis);
}

const coalesced = new WeakSet<Redis>();

function coalesceNodeWrites(redis: Redis): void {
  if (coalesced.has(redis)) return;
  coalesced.add(redis);
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    // The socket itself, also for a pipeline's commands (`stream` is then the pipeline's own buffer).
    // Before the connection is up, commands wait in ioredis's offline queue and there is no socket yet.
    const socket = redis.stream as Writable | undefined;
    if (socket) corkForThisTurn(socket);
    return send(command, stream);
  };
}

/** Sockets corked in this turn; all are uncorked together when it ends. */
const corked = new Set<Writable>();

function corkForThisTurn(socket: Writable): void {
  if (corked.has(socket) || !socket.writable) return;
  // A tick scheduled now runs after the microtasks queued in this turn have run (Node drains them
  // first), so every command their continuations issue is in the one write.
  if (corked.size === 0) process.nextTick(uncorkAll);
  corked.add(socket);
  socket.cork();
}

function uncorkAll(): void {
  for (const socket of corked) socket.uncork();
  corked.clear();
}
