import type { Logger } from 'pino';
import type { RedisConnection } from '../redis/connection.ts';
import { coerceError } from '../errors/errors.ts';

/**
 * When each key of the keys file was last used, kept coarsely in Redis: one hash per deployment,
 * key name to epoch ms, written at most once a minute per key by each process. Exact times would
 * cost a Redis write per request; `keys list` only needs to tell a key in use from a forgotten one.
 */

/** Least time between two writes of one key's last use, per process. */
export const LAST_USE_EVERY_MS = 60_000;

/** The Redis hash, under the deployment's prefix. */
export function lastUseKey(prefix: string): string {
  return `${prefix}:keys:last-used`;
}

export class LastUseRecorder {
  /** When this process last wrote each key's use: the in-process memo that skips the others. */
  private readonly written = new Map<string, number>();
  /** Writes sent to Redis, for tests that count them. */
  writes = 0;

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Records a use now, unless this process recorded the key's use less than a minute ago. Never waits, never throws. */
  record(name: string): void {
    const now = this.clock();
    const last = this.written.get(name);
    if (last !== undefined && now - last < LAST_USE_EVERY_MS) return;
    this.written.set(name, now);
    this.writes += 1;
    this.redis.hset(lastUseKey(this.prefix), name, String(now)).catch((error: unknown) => {
      // Lost: the next use a minute on writes it again. A request never fails for it.
      this.written.delete(name);
      this.logger.warn({ key: name, err: coerceError(error).message }, "could not record a key's last use");
    });
  }
}

/** Every recorded last use, by key name, in epoch ms. */
export async function readLastUse(redis: RedisConnection, prefix: string): Promise<Record<string, number>> {
  const stored = await redis.hgetall(lastUseKey(prefix));
  return Object.fromEntries(Object.entries(stored).map(([name, ms]) => [name, Number(ms)]));
}

