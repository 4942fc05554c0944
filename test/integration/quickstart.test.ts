import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/database.ts';
import { monitorResults } from '../../src/db/schema.ts';
import { uniqueName } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { runCli } from '../helpers/workers.ts';
import { Redis } from 'ioredis';

const dataDir = mkdtempSync(join(tmpdir(), 'jobwatch-quickstart-'));
const prefix = uniqueName('qs');

afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${prefix}-quickstart:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('npm start (jobwatch quickstart)', () => {
  it('runs the demo with only Redis: final statuses land in the embedded Postgres', async () => {
    const result = await runCli(['quickstart', '--jobs', '2'], {
      REDIS_URL: TEST_REDIS_URL, JOBWATCH_PREFIX: prefix, JOBWATCH_PGLITE_DIR: dataDir,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`results database: PGlite in ${dataDir}`);
    expect(result.stdout.match(/^monitor demo-\w+ ended: (completed|failed) \(job said (Completed|Failed)\) after \d+ polls$/gm)).toHaveLength(2);

    const database = await openPglite(dataDir);
    try {
      const rows = await database.db.select().from(monitorResults);
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(['completed', 'failed']).toContain(row.outcome);
        expect(row.metadata).toMatchObject({ source: 'quickstart' });
        expect(result.stdout).toContain(row.monitorId);
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
