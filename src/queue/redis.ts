import { Redis, type RedisOptions } from 'ioredis';
import { ServiceUnavailableError } from '../errors/errors.ts';
import { redactUrl } from '../logging/logger.ts';

/**
 * A connection for BullMQ. `maxRetriesPerRequest: null` lets blocking commands wait through a Redis
 * restart instead of failing; workers then resume by themselves.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/** Policies under which Redis keeps every key; any other may evict a monitor's poll job. */
const SAFE_MAXMEMORY_POLICIES = new Set(['noeviction']);

/**
 * Fails fast, with what to do, when Redis does not answer or may evict keys. An evicted poll job
 * is a monitor lost without a trace, so an evicting policy is refused, not warned about.
 */
export async function assertRedisReady(url: string, options: { requireNoEviction: boolean }): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on('error', () => {}); // reported through connect() below
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    probe.disconnect();
    throw new ServiceUnavailableError(
      `cannot reach Redis at ${redactUrl(url)} (${(error as Error).message}); start one with ` +
        '`docker compose up -d redis` or `redis-server --port 6379`, or set REDIS_URL',
    );
  }
  try {
    if (options.requireNoEviction) await assertNoEviction(probe);
  } finally {
    probe.disconnect();
  }
}

async function assertNoEviction(redis: Redis): Promise<void> {
  let policy: string | undefined;
  try {
    const answer = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = answer[1];
  } catch {
    return; // CONFIG is disabled on some managed Redis services; their docs say which policy they use
  }
  if (policy && !SAFE_MAXMEMORY_POLICIES.has(policy)) {
    throw new ServiceUnavailableError(
      `Redis maxmemory-policy is ${policy}, which may evict monitors; set it to noeviction ` +
        '(redis-server --maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction)',
    );
  }
}
