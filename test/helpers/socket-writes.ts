import type { Redis } from 'ioredis';

/**
 * Counts the writes a Redis connection's current socket hands to the kernel: the calls of its
 * native handle, each one system call. Where a test checks how commands leave, not what they do.
 */
export function countHandleWrites(redis: Redis): { count: number } {
  const counter = { count: 0 };
  const handle = (redis.stream as unknown as { _handle: Record<string, (...args: unknown[]) => unknown> })._handle;
  for (const method of ['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString', 'writeUcs2String']) {
    const original = handle[method];
    if (typeof original !== 'function') continue;
    handle[method] = function (this: unknown, ...args: unknown[]) {
      counter.count++;
      return original.apply(this, args);
    };
  }
  return counter;
}
