import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorResults } from '../../src/db/schema.ts';
import { COMPLETION_QUEUE, POLL_QUEUE } from '../../src/queue/queues.ts';
import { startWorkerProcess, type WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from '../helpers/services.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { testClient } from '../helpers/workers.ts';
import { countRows } from '../helpers/results.ts';

const MONITORS = 30;
let iso: Isolated;
let server: StatusServer;
let proxy: TcpProxy;
let worker: WorkerProcess | undefined;
let logs = '';

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
  const target = new URL(TEST_POSTGRES_URL);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
});

afterAll(async () => {
  await worker?.close(5_000);
  await proxy?.close();
  await server?.close();
  await iso?.cleanup();
});

describe('Postgres down for a while', () => {
  it('keeps polling, holds completions in Redis, says what waits, and lands every result once when it is back', async () => {
    const throughProxy = new URL(iso.databaseUrl);
    throughProxy.port = String(proxy.port);
    const config = iso.config({ DATABASE_URL: throughProxy.toString() });
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { logs += chunk; done(); } }));
    worker = await startWorkerProcess(config, logger);

    await proxy.cut();
    const client = testClient(iso);
    for (let i = 0; i < MONITORS; i++) {
      server.script(`pg-${i}`, [...Array.from({ length: i % 3 }, () => ({ status: 'Processing' })), { status: 'Completed' }]);
      await client.startMonitor({ jobId: `pg-${i}`, statusUrl: server.template, interval: 100 });
    }
    await client.close();

    // Polling goes on without Postgres: every monitor reaches its end and waits in the completion queue.
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const polls = new Queue(POLL_QUEUE, { connection, prefix: iso.prefix });
    const completions = new Queue(COMPLETION_QUEUE, { connection, prefix: iso.prefix });
    try {
      await waitFor(async () => {
        return total(await polls.getJobCounts('waiting', 'active', 'delayed')) === 0;
      }, { what: 'every poll chain to end', intervalMs: 100 });
      expect(total(await completions.getJobCounts('waiting', 'active', 'delayed'))).toBe(MONITORS);
      expect(total(await completions.getJobCounts('completed'))).toBe(0);
      await waitFor(() => logs.includes('result waits for Postgres; will retry'), { what: 'a log line about waiting results' });
      expect(logs).toContain('"monitorId":"pg-');

      await proxy.restore();
      // Backoff is capped (30s), so results land within one cap of Postgres coming back.
      await waitFor(async () => (await countRows(iso)) === MONITORS, { timeoutMs: 45_000, intervalMs: 250, what: 'every result to land' });
      const rows = await iso.database.db.select().from(monitorResults);
      expect(new Set(rows.map((row) => row.monitorId)).size).toBe(MONITORS);
      expect(rows.every((row) => row.outcome === 'completed')).toBe(true);
      expect(rows.every((row) => row.recordedAt.getTime() >= row.finishedAt.getTime())).toBe(true);
      await waitFor(async () => total(await completions.getJobCounts('completed')) === MONITORS, { what: 'completions done' });
    } finally {
      await polls.close();
      await completions.close();
      await connection.quit();
    }
  }, 90_000);
});

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
