import { Cluster, type Redis } from 'ioredis';
import type { RedisConnection } from './connection.ts';

/** Policies under which Redis keeps every key; any other may evict a monitor's poll job. */
export const SAFE_MAXMEMORY_POLICIES: ReadonlySet<string> = new Set(['noeviction']);

/**
 * Whether every Redis master says it evicts nothing (maxmemory_policy in INFO memory, which managed
 * services that disable CONFIG still answer): true, false, or undefined when one does not say.
 * The start-up check (assertRedisReady) refuses an evicting policy; this tells a policy changed
 * while the workers run, for jobwatch_redis_maxmemory_policy_ok.
 */
export async function evictionPolicySafe(redis: RedisConnection): Promise<boolean | undefined> {
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const policies = await Promise.all(nodes.map(async (node) => /^maxmemory_policy:(\S+)/m.exec(await node.info('memory'))?.[1]));
  if (policies.some((policy) => policy === undefined)) return undefined;
  return policies.every((policy) => SAFE_MAXMEMORY_POLICIES.has(policy!));
}
