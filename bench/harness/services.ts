import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { BenchConfig } from '../config.ts';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.ts';
import { migratePostgres } from '../../src/db/migrate.ts';
import { startPrivateRedis, type PrivateRedis } from '../../test/helpers/private-redis.ts';

/**
 * The bench's own Redis and its corner of the shared Postgres. Redis is a redis-server of its own
 * (started on a free loopback port with BENCH_REDIS_CONFIG's settings and no persistence, stopped
 * by its pid), so that no one else's commands are in its counters (INFO commandstats, cpu) and its
 * settings change nothing for others; BENCH_REDIS_URL names another instead. Besides, a key prefix
 * per scenario and a database per purpose, all named after this run and removed at the end, so
 * that it never touches (or is skewed by the leftovers of) tests running beside it.
 */
export class BenchServices {
  readonly runId = randomBytes(4).toString('hex');
  private readonly prefixes = new Set<string>();
  private readonly databases: string[] = [];
  private readonly handles: DatabaseHandle[] = [];
  /** Redis settings as they were before BENCH_REDIS_CONFIG changed them, to put back. */
  private readonly originalSettings = new Map<string, string>();

  private constructor(
    /** The run's config, with `redisUrl` the Redis it runs on. */
    readonly config: BenchConfig,
    /** For INFO, MEMORY USAGE and clean-up; the scenarios open their own connections. */
    readonly redis: Redis,
    /** The bench's own redis-server, unless BENCH_REDIS_URL named one. */
    readonly privateRedis: PrivateRedis | undefined,
  ) {}

  static async open(config: BenchConfig): Promise<BenchServices> {
    const privateRedis = config.redisUrl ? undefined : await startPrivateRedis(
      Object.entries(config.redisSettings).flatMap(([name, value]) => [`--${name}`, value]),
    );
    const redisUrl = privateRedis?.url ?? config.redisUrl;
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 3_000 });
    try {
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      await privateRedis?.stop();
      throw new Error(`bench: Redis is not reachable at ${redisUrl} (${(error as Error).message}); start it or unset BENCH_REDIS_URL`);
    }
    const services = new BenchServices(Object.freeze({ ...config, redisUrl }), redis, privateRedis);
    await services.admin((sql) => sql`select 1`);
    if (!privateRedis) {
      for (const [name, value] of Object.entries(config.redisSettings)) {
        services.originalSettings.set(name, await services.redisSetting(name));
        await redis.config('SET', name, value);
      }
    }
    return services;
  }

  /** The pid of the Redis server when it is the bench's own (for its CPU time), from its INFO. */
  async privateRedisPid(): Promise<number | undefined> {
    if (!this.privateRedis) return undefined;
    return Number(/process_id:(\d+)/.exec(await this.redis.info('server'))?.[1]);
  }

  /** A key prefix of its own for one scenario (BullMQ's prefix, so every key lives under it). */
  prefix(scenario: string): string {
    const prefix = `jwbench-${this.runId}-${scenario}`;
    this.prefixes.add(prefix);
    return prefix;
  }

  /** A fresh database of its own, with jobwatch's schema, and a pool on it (closed by `close`). */
  async database(purpose: string, options: { poolSize?: number } = {}): Promise<{ url: string; handle: DatabaseHandle }> {
    const url = await this.emptyDatabase(purpose);
    await migratePostgres(url);
    const handle = openPostgres(url, { max: options.poolSize ?? 10 });
    this.handles.push(handle);
    return { url, handle };
  }

  /** A fresh, empty database of its own (for pg-boss, which installs its own schema). */
  async emptyDatabase(purpose: string): Promise<string> {
    const name = `jwbench_${this.runId}_${purpose.replaceAll('-', '_')}`;
    await this.admin((sql) => sql.unsafe(`create database ${name}`));
    this.databases.push(name);
    const url = new URL(this.config.postgresUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** Removes every key under a prefix (the scenario's state between rounds). */
  async clearPrefix(prefix: string): Promise<void> {
    const stream = this.redis.scanStream({ match: `${prefix}:*`, count: 5_000 });
    for await (const keys of stream as AsyncIterable<string[]>) {
      if (keys.length > 0) await this.redis.unlink(...keys);
    }
  }

  /** A Redis setting (`hz`, its timer ticks per second), or `unknown` where CONFIG is disabled. */
  async redisSetting(name: string): Promise<string> {
    try {
      return ((await this.redis.config('GET', name)) as string[])[1] ?? 'unknown';
    } catch {
      return 'unknown';
    }
  }

  async versions(): Promise<{ redis: string; postgres: string }> {
    const info = await this.redis.info('server');
    const redis = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const rows = await this.admin((sql) => sql<{ server_version: string }[]>`show server_version`);
    return { redis, postgres: rows[0]?.server_version ?? 'unknown' };
  }

  /** Drops what this run created. Safe to call after a failure half-way. */
  async close(): Promise<void> {
    for (const prefix of this.prefixes) await this.clearPrefix(prefix).catch(() => {});
    for (const [name, value] of this.originalSettings) await this.redis.config('SET', name, value).catch(() => {});
    for (const handle of this.handles) await handle.close().catch(() => {});
    for (const name of this.databases) {
      await this.admin((sql) => sql.unsafe(`drop database if exists ${name} with (force)`)).catch(() => {});
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
    await this.privateRedis?.stop();
  }

  private async admin<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    const sql = postgres(this.config.postgresUrl, { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      return await work(sql);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ECONNREFUSED' || code === 'CONNECT_TIMEOUT') {
        throw new Error(`bench: Postgres is not reachable at ${this.config.postgresUrl} (${code}); start it or set BENCH_POSTGRES_URL`);
      }
      throw error;
    } finally {
      await sql.end({ timeout: 2 });
    }
  }
}
