import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedis } from '../../src/redis/connection.ts';
import { uniqueName } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { countHandleWrites } from '../helpers/socket-writes.ts';

/**
 * The commands a connection is given in one turn of the event loop go out in one socket write,
 * in order, with their replies as before. Writes are counted where they leave for the kernel (a
 * cluster's nodes: redis-cluster.test.ts).
 */

const COMMANDS = 200;
const opened: Redis[] = [];
const keys: string[] = [];

afterEach(async () => {
  // Also when a test failed half-way: its key is not left behind.
  if (keys.length > 0) await opened[0]?.del(...keys.splice(0)).catch(() => {});
  for (const redis of opened.splice(0)) await redis.quit().catch(() => redis.disconnect());
});

/** A key of this test, deleted after it whatever happens. */
function testKey(): string {
  const key = uniqueName('coalesce');
  keys.push(key);
  return key;
}

async function ready(redis: Redis): Promise<Redis> {
  opened.push(redis);
  await redis.ping();
  return redis;
}

/** A turn's worth of commands, as a worker's polls issue them: from promise continuations of one turn. */
async function oneTurnOfCommands(redis: Redis, key: string): Promise<number[]> {
  await Promise.resolve();
  return Promise.all(Array.from({ length: COMMANDS }, () => redis.incr(key)));
}

describe('a connection from createRedis', () => {
  it('sends the commands of one turn in one write, each answered in order', async () => {
    const redis = await ready(createRedis(TEST_REDIS_URL));
    const key = testKey();
    const writes = countHandleWrites(redis);
    const replies = await oneTurnOfCommands(redis, key);
    expect(replies).toEqual(Array.from({ length: COMMANDS }, (_, i) => i + 1));
    expect(writes.count).toBe(1);
  });

  it('a plain ioredis connection writes each command on its own (what this saves)', async () => {
    const redis = await ready(new Redis(TEST_REDIS_URL));
    const key = testKey();
    const writes = countHandleWrites(redis);
    await oneTurnOfCommands(redis, key);
    expect(writes.count).toBeGreaterThan(COMMANDS / 2);
  });

  it('keeps the order of commands, pipelines and transactions issued together, and scripts answer as before', async () => {
    const redis = await ready(createRedis(TEST_REDIS_URL));
    const key = testKey();
    const writes = countHandleWrites(redis);
    const [first, piped, transaction, scripted, last] = await Promise.all([
      redis.rpush(key, 'a'),
      redis.pipeline().rpush(key, 'b').rpush(key, 'c').exec(),
      redis.multi().rpush(key, 'd').lrange(key, 0, -1).exec(),
      redis.eval("return redis.call('RPUSH', KEYS[1], ARGV[1])", 1, key, 'e'),
      redis.lrange(key, 0, -1),
    ]);
    expect(first).toBe(1);
    expect(piped).toEqual([[null, 2], [null, 3]]);
    expect(transaction).toEqual([[null, 4], [null, ['a', 'b', 'c', 'd']]]);
    expect(scripted).toBe(5);
    expect(last).toEqual(['a', 'b', 'c', 'd', 'e']);
    // The pipeline writes itself; the commands around it share the turn's write.
    expect(writes.count).toBeLessThanOrEqual(3);
  });

  it('goes on grouping writes on the new socket after a reconnect', async () => {
    const redis = await ready(createRedis(TEST_REDIS_URL));
    const key = testKey();
    const before = redis.stream;
    redis.disconnect(true);
    await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    expect(redis.stream).not.toBe(before);
    const writes = countHandleWrites(redis);
    expect(await oneTurnOfCommands(redis, key)).toHaveLength(COMMANDS);
    expect(writes.count).toBe(1);
  });

  it('commands issued before the connection is up wait for it and are answered', async () => {
    const redis = createRedis(TEST_REDIS_URL, { lazyConnect: true });
    opened.push(redis);
    const key = testKey();
    const replies = await Promise.all(Array.from({ length: 10 }, () => redis.incr(key)));
    expect(replies).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });
});
