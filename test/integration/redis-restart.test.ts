import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { monitorResults } from '../../src/db/schema.ts';
import { ServiceUnavailableError } from '../../src/errors/errors.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { startWorkerProcess, type WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { countRows } from '../helpers/results.ts';

const MONITORS = 40;
let iso: Isolated;
let server: StatusServer;
let redis: PrivateRedis;
let worker: WorkerProcess | undefined;
const silent = createLogger({ logLevel: 'silent' }, { pretty: false });

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
  redis = await startPrivateRedis(['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction']);
});

afterAll(async () => {
  await worker?.close(2_000);
  await redis?.stop();
  await server?.close();
  await iso?.cleanup();
});

describe('Redis with the append-only file, killed and restarted mid-run', () => {
  it('loses no monitor: workers reconnect by themselves and every monitor ends correctly', async () => {
    const config = iso.config({ REDIS_URL: redis.url, JOBWATCH_LOCK_DURATION: '2s' });
    worker = await startWorkerProcess(config, silent, { database: iso.database });
    const client = new JobwatchClient({ config, database: iso.database });
    for (let i = 0; i < MONITORS; i++) {
      server.script(`r-${i}`, [...Array.from({ length: 6 }, () => ({ status: 'Processing' })), { status: i % 4 === 0 ? 'Failed' : 'Completed' }]);
    }
    await client.startMonitors(Array.from({ length: MONITORS }, (_, i) => ({ jobId: `r-${i}`, statusUrl: server.template, interval: 200 })));
    await client.close();
    await waitFor(() => server.calls('r-0') >= 2, { what: 'polling under way' });

    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await redis.start();

    await waitFor(async () => (await countRows(iso)) === MONITORS, { timeoutMs: 45_000, intervalMs: 250, what: 'every monitor to end' });
    const rows = await iso.database.db.select().from(monitorResults);
    for (const row of rows) {
      expect(row.outcome).toBe(Number(row.monitorId.slice(2)) % 4 === 0 ? 'failed' : 'completed');
    }
    expect(new Set(rows.map((row) => row.monitorId)).size).toBe(MONITORS);
    expect(server.jobsWithOverlap()).toEqual([]);
  }, 90_000);
});

describe('a Redis that may evict keys', () => {
  it('is refused at worker start, with what to set', async () => {
    const evicting = await startPrivateRedis(['--maxmemory-policy', 'allkeys-lru']);
    try {
      const start = startWorkerProcess(iso.config({ REDIS_URL: evicting.url }), silent, { database: iso.database });
      await expect(start).rejects.toThrow(ServiceUnavailableError);
      await expect(startWorkerProcess(iso.config({ REDIS_URL: evicting.url }), silent, { database: iso.database }))
        .rejects.toThrow(/maxmemory-policy is allkeys-lru, which may evict monitors; set it to noeviction/);
    } finally {
      await evicting.stop();
    }
  });
});
