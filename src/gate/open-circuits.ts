import type { RedisConnection } from '../redis/connection.ts';
import { gateKeysOf } from './gate-keys.ts';

/**
 * Which of `keys` have their circuit open now, read from Redis (the gate's truth, whichever worker
 * opened or closed it): one EXISTS per key, sent together. Each key's state lives in its own hash
 * slot, so there is no one multi-key command that a Redis Cluster would take.
 */
export async function readOpenCircuits(redis: RedisConnection, prefix: string, keys: readonly string[]): Promise<ReadonlySet<string>> {
  const open = await Promise.all(keys.map((key) => redis.exists(gateKeysOf(prefix, key).open)));
  return new Set(keys.filter((_, i) => open[i] === 1));
}
