import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ServiceUnavailableError } from '../errors/errors.ts';
import { redactUrl } from '../logging/logger.ts';
import { REDIS_CLOSE_TIMEOUT_MS, settleWithin } from '../time/with-timeout.ts';
import { SAFE_MAXMEMORY_POLICIES } from './eviction-policy.ts';
import { coalesceWrites } from './coalesced-writes.ts';

/** One Redis server, or a Redis Cluster: BullMQ and jobwatch work on either. */
export type RedisConnection = Redis | Cluster;

/** Where Redis is: REDIS_URL, or the nodes of a cluster (REDIS_CLUSTER_NODES). */
export interface RedisTarget {
  readonly redisUrl: string;
  readonly redisClusterNodes?: readonly { host: string; port: number }[] | undefined;
}

/**
 * A connection for BullMQ. `maxRetriesPerRequest: null` lets blocking commands wait through a Redis
 * restart instead of failing; workers then resume by themselves. The commands of one turn of the
 * event loop go out in one socket write (see coalesced-writes.ts).
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
  coalesceWrites(redis);
  return redis;
}

/**
 * A connection to the target: a cluster client when cluster nodes are given (REDIS_URL's user,
 * password and `rediss://` then apply to every node), otherwise one to REDIS_URL.
 */
export function connectRedis(target: RedisTarget, options: RedisOptions = {}): RedisConnection {
  if (!target.redisClusterNodes) return createRedis(target.redisUrl, options);
  const cluster = new Cluster([...target.redisClusterNodes], {
    redisOptions: { ...credentialsOf(target.redisUrl), maxRetriesPerRequest: null, ...options },
    enableReadyCheck: true,
  });
  coalesceWrites(cluster);
  return cluster;
}

/**
 * Closes what uses a connection (`closeUsers`), then the connection. A Redis that is down would
 * hold both forever: after a few seconds the connection is cut instead.
 */
export async function closeRedis(connection: RedisConnection, closeUsers: () => Promise<unknown> = async () => {}): Promise<void> {
  const closing = (async () => {
    await closeUsers();
    await connection.quit();
  })();
  if (!(await settleWithin(closing, REDIS_CLOSE_TIMEOUT_MS))) connection.disconnect();
}

/** Where the target is, safe to print (no password). */
export function describeTarget(target: RedisTarget): string {
  if (!target.redisClusterNodes) return redactUrl(target.redisUrl);
  return `the Redis Cluster at ${target.redisClusterNodes.map((node) => `${node.host}:${node.port}`).join(',')}`;
}

function credentialsOf(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}


/**
 * Fails fast, with what to do, when Redis does not answer or may evict keys. An evicted poll job
 * is a monitor lost without a trace, so an evicting policy is refused, not warned about. On a
 * cluster every master is checked.
 */
export async function assertRedisReady(target: RedisTarget, options: { requireNoEviction: boolean }): Promise<void> {
  const probe = openProbe(target);
  probe.on('error', () => {}); // reported through connect() below
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    probe.disconnect();
    throw new ServiceUnavailableError(
      `cannot reach Redis at ${describeTarget(target)} (${(error as Error).message}); start one with ` +
        '`docker compose up -d redis` or `redis-server --port 6379`, or set REDIS_URL',
    );
  }
  try {
    if (!options.requireNoEviction) return;
    if (!(probe instanceof Cluster)) return await assertNoEviction(probe, '');
    for (const node of probe.nodes('master')) await assertNoEviction(node, ` on ${node.options.host}:${node.options.port}`);
  } finally {
    probe.disconnect();
  }
}

function openProbe(target: RedisTarget): RedisConnection {
  const failFast = { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, enableOfflineQueue: false } as const;
  if (!target.redisClusterNodes) return new Redis(target.redisUrl, { ...failFast, retryStrategy: () => null });
  return new Cluster([...target.redisClusterNodes], {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: () => null,
    redisOptions: { ...credentialsOf(target.redisUrl), ...failFast },
  });
}

async function assertNoEviction(redis: Redis, where: string): Promise<void> {
  let policy: string | undefined;
  try {
    const answer = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = answer[1];
  } catch {
    return; // CONFIG is disabled on some managed Redis services; their docs say which policy they use
  }
  if (policy && !SAFE_MAXMEMORY_POLICIES.has(policy)) {
    throw new ServiceUnavailableError(
      `Redis maxmemory-policy is ${policy}${where}, which may evict monitors; set it to noeviction ` +
        '(redis-server --maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction)',
    );
  }
}
