import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.ts';
import { migratePostgres } from '../../src/db/migrate.ts';
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from './services.ts';

/**
 * Each test file gets its own Redis key prefix and its own Postgres database, so that files run
 * in parallel and in any order without seeing each other's monitors or rows.
 */
export interface Isolated {
  prefix: string;
  databaseUrl: string;
  database: DatabaseHandle;
  /** A validated config for this prefix and database, with the given environment on top. */
  config(env?: Record<string, string>): Config;
  /** The environment a child process needs to work in this isolation. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Redis keys under this prefix, sorted (SCAN gives no order): what a test checks to prove nothing is left behind. */
  redisKeys(): Promise<string[]>;
  cleanup(): Promise<void>;
}

/**
 * A run's tag, when the environment gives one (JWTEST_RUN, letters and digits): `.ci/run` sets it
 * to count what its own tests left behind, apart from the names other runs on the machine use.
 */
const RUN_TAG = runTag(process.env.JWTEST_RUN);

function runTag(value: string | undefined): string {
  if (!value) return '';
  if (!/^[a-z0-9]{1,16}$/.test(value)) throw new Error(`JWTEST_RUN must be 1 to 16 lowercase letters or digits, not ${JSON.stringify(value)}`);
  return `${value}_`;
}

/** `jwtest_[<run>_]<kind>_<random>`: a Redis prefix or a database name (a plain SQL identifier). */
export function uniqueName(kind: string): string {
  return `jwtest_${RUN_TAG}${kind}_${randomBytes(5).toString('hex')}`;
}

export async function createIsolation(options: { migrate?: boolean } = {}): Promise<Isolated> {
  const prefix = uniqueName('p');
  const databaseName = uniqueName('db');
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${databaseName}`);
  await admin.end();
  const databaseUrl = withDatabase(TEST_POSTGRES_URL, databaseName);
  if (options.migrate ?? true) await migratePostgres(databaseUrl);
  const database = openPostgres(databaseUrl, { max: 4 });
  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: TEST_REDIS_URL,
    DATABASE_URL: databaseUrl,
    JOBWATCH_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    // A suite that runs on both BullMQ paths and starts its workers through a shared harness (the
    // crash-point runs) sets the path here for the runs it starts, child processes included.
    ...(process.env.JOBWATCH_BULLMQ_PATH ? { JOBWATCH_BULLMQ_PATH: process.env.JOBWATCH_BULLMQ_PATH } : {}),
    ...extra,
  });
  return {
    prefix,
    databaseUrl,
    database,
    config: (extra = {}) => loadConfig(env(extra)),
    env,
    redisKeys: async () => (await scanKeys(`${prefix}:*`)).sort(),
    async cleanup() {
      await database.close();
      // The whole of the prefix's name space: also the prefixes a test builds on it, such as the
      // user queue's `<prefix>-user` of the notifyQueue test.
      await deleteKeys(`${prefix}*`);
      const dropper = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${databaseName} with (force)`);
      await dropper.end();
    },
  };
}

export function withDatabase(url: string, databaseName: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${databaseName}`;
  return parsed.toString();
}

async function scanKeys(pattern: string): Promise<string[]> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  } finally {
    await redis.quit();
  }
}

async function deleteKeys(pattern: string): Promise<void> {
  const keys = await scanKeys(pattern);
  if (keys.length === 0) return;
  const redis = new Redis(TEST_REDIS_URL);
  try {
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  } finally {
    await redis.quit();
  }
}
