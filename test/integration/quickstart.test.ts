import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/database.ts';
import { monitorResults } from '../../src/db/schema.ts';
import { uniqueName } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { runCli } from '../helpers/workers.ts';
import { Redis } from 'ioredis';

// A user's first run is in a folder with no .jobwatch/ yet: the quickstart must make it, with the
// embedded database's default data folder inside.
const freshClone = mkdtempSync(join(tmpdir(), 'jobwatch-quickstart-'));
const dataDir = join(freshClone, '.jobwatch', 'pglite');
const prefix = uniqueName('qs');

afterAll(async () => {
  rmSync(freshClone, { recursive: true, force: true });
  // The demo removes its keys itself (checked below); these are a failed run's.
  const keys = await demoKeys();
  if (keys.length) await withRedis((redis) => redis.del(...keys));
});

/** Keys of the demo's runs under this file's prefix (each run adds `-quickstart-<run>` to it). */
const demoKeys = () => withRedis(async (redis) => {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${prefix}-quickstart*`, count: 1_000 }) as AsyncIterable<string[]>) keys.push(...batch);
  return keys;
});

async function withRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    return await use(redis);
  } finally {
    await redis.quit();
  }
}

describe('npm start (jobwatch quickstart)', () => {
  it('runs the demo with only Redis and no data folder: completed, failed, expired and canceled land in the embedded Postgres, beside an operation jobwatch started', async () => {
    expect(existsSync(join(freshClone, '.jobwatch'))).toBe(false);
    const result = await runCli(['quickstart', '--jobs', '4'], { REDIS_URL: TEST_REDIS_URL, JOBWATCH_PREFIX: prefix }, { cwd: freshClone });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('results database: PGlite in .jobwatch/pglite');
    const ended = [...result.stdout.matchAll(/^monitor (demo-\w+) ended: (\w+) \(job said (\w+)\) after \d+ polls$/gm)];
    expect(ended.map(([, , outcome, jobStatus]) => `${outcome}/${jobStatus}`).sort())
      .toEqual(['canceled/Processing', 'completed/Completed', 'expired/Processing', 'failed/Failed']);
    expect(result.stdout).toMatch(/^producer canceled monitor demo-\w+ after \d+ polls$/m);
    // The operation: jobwatch sent the demo service's start request, followed its Location to the end.
    const operation = /^operation (op-[0-9a-f]+) ended: completed \(its start answered 202, watching http:\/\/127\.0\.0\.1:\d+\/renders\/render-[0-9a-f]+\/status; the service said OK\) after \d+ polls$/m.exec(result.stdout);
    expect(operation, result.stdout).not.toBeNull();
    // Its monitors ended and their rows are below: it left nothing in Redis.
    expect(await demoKeys()).toEqual([]);

    const database = await openPglite(dataDir);
    try {
      const rows = await database.db.select().from(monitorResults);
      expect(rows.map((row) => row.outcome).sort()).toEqual(['canceled', 'completed', 'completed', 'expired', 'failed']);
      expect(rows.find((row) => row.monitorId === operation![1])).toMatchObject({ outcome: 'completed', jobId: null, operation: { answer: { status: 202 } } });
      for (const row of rows) {
        expect(row.metadata).toMatchObject({ source: 'quickstart' });
        expect(result.stdout).toMatch(new RegExp(`^${row.monitorId} +${row.outcome} `, 'm'));
      }
    } finally {
      await database.close();
    }
  });

  it('says how to start Redis when there is none', async () => {
    const result = await runCli(['quickstart'], { REDIS_URL: 'redis://127.0.0.1:1', JOBWATCH_PGLITE_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/cannot reach Redis .*docker compose up -d redis.*redis-server/);
  });
});
