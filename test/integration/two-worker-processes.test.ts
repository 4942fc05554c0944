import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { monitorResults } from '../../src/db/schema.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, spawnWorker, testClient } from '../helpers/workers.ts';
import { countRows } from '../helpers/results.ts';

const MONITORS = 200;

let iso: Isolated;
let server: StatusServer;
let client: JobwatchClient;
const workers: ReturnType<typeof spawnWorker>[] = [];

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
  client = testClient(iso);
});

afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
  await client?.close();
  await server?.close();
  await iso?.cleanup();
});

describe('two worker processes sharing the work through Redis', () => {
  it(`end each of ${MONITORS} monitors with exactly one row`, async () => {
    // Both workers wait for work before any monitor exists, so that neither can end them all while
    // the other is still starting, however far apart they come up.
    const env = iso.env({ LOG_LEVEL: 'info' });
    workers.push(spawnWorker(env, ['--concurrency', '20']), spawnWorker(env, ['--concurrency', '20']));
    await waitFor(() => workers.every((worker) => worker.output().includes('"msg":"worker started"')), { what: 'both workers to start', timeoutMs: 30_000 });
    for (let i = 0; i < MONITORS; i++) {
      const answers = Array.from({ length: i % 4 }, () => ({ status: 'Processing' }));
      server.script(`shared-${i}`, [...answers, { status: i % 10 === 0 ? 'Failed' : 'Completed' }]);
    }
    // One batch of 200 is more than one worker's 20 polls in flight: the other takes its share.
    await client.startMonitors(Array.from({ length: MONITORS }, (_, i) => ({ jobId: `shared-${i}`, statusUrl: server.template, interval: 100 })));

    await waitFor(async () => (await countRows(iso)) === MONITORS, { timeoutMs: 45_000, intervalMs: 200, what: `${MONITORS} rows` });

    const rows = await iso.database.db.select().from(monitorResults);
    expect(new Set(rows.map((row) => row.monitorId)).size).toBe(MONITORS);
    for (const row of rows) {
      const i = Number(row.monitorId.split('-')[1]);
      expect(row.outcome).toBe(i % 10 === 0 ? 'failed' : 'completed');
      expect(row.polls).toBe((i % 4) + 1);
      expect(server.maxOverlap(row.jobId!)).toBe(1);
    }

    // SIGTERM: both finish in-flight polls and exit 0.
    for (const worker of workers) worker.kill('SIGTERM');
    expect(await Promise.all(workers.map(exited))).toEqual([0, 0]);
    // Both processes took part: each logged monitors it ended.
    for (const worker of workers) expect(worker.output()).toContain('"msg":"monitor ended"');
  });
});
