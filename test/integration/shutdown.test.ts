import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResult } from '../../src/db/results.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, spawnWorker, testClient } from '../helpers/workers.ts';

let iso: Isolated;
let server: StatusServer;

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
});

afterAll(async () => {
  await server?.close();
  await iso?.cleanup();
});

async function startSlowMonitor(jobId: string, delayMs: number) {
  server.script(jobId, [{ status: 'Completed', delayMs }]);
  const client = testClient(iso);
  await client.startMonitor({ jobId, statusUrl: server.template, interval: 100 });
  await client.close();
}

describe('worker shutdown', () => {
  it('SIGTERM lets the in-flight poll finish, then exits 0', async () => {
    await startSlowMonitor('slow-1', 1_500);
    const worker = spawnWorker(iso.env({ LOG_LEVEL: 'info' }));
    await waitFor(() => server.calls('slow-1') === 1, { what: 'poll in flight' });
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    expect(worker.output()).toContain('shutting down: finishing in-flight polls');
    // The poll finished and handed its result on before the process left: a later worker only persists it.
    const next = spawnWorker(iso.env());
    try {
      expect(await waitFor(() => findResult(iso.database.db, 'slow-1'), { what: 'slow-1 row' })).toMatchObject({ outcome: 'completed', polls: 1 });
      expect(server.calls('slow-1')).toBe(1);
    } finally {
      next.kill('SIGTERM');
      await exited(next);
    }
  });

  it('waits only up to JOBWATCH_SHUTDOWN_TIMEOUT, then leaves the poll to stall recovery by another worker', async () => {
    await startSlowMonitor('slow-2', 4_000);
    const env = iso.env({ JOBWATCH_SHUTDOWN_TIMEOUT: '300ms', JOBWATCH_LOCK_DURATION: '1s', JOBWATCH_STATUS_TIMEOUT: '6s', LOG_LEVEL: 'info' });
    const worker = spawnWorker(env);
    await waitFor(() => server.calls('slow-2') === 1, { what: 'poll in flight' });
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    expect(worker.output()).toContain('leaving them to stall recovery');

    server.script('slow-2', [{ status: 'Completed', delayMs: 4_000 }, { status: 'Completed' }]);
    const next = spawnWorker(env);
    try {
      expect(await waitFor(() => findResult(iso.database.db, 'slow-2'), { what: 'slow-2 row', timeoutMs: 20_000 })).toMatchObject({ outcome: 'completed' });
    } finally {
      next.kill('SIGTERM');
      await exited(next);
    }
  });

  it('a second signal exits at once', async () => {
    await startSlowMonitor('slow-3', 5_000);
    const worker = spawnWorker(iso.env({ JOBWATCH_SHUTDOWN_TIMEOUT: '30s' }));
    await waitFor(() => server.calls('slow-3') === 1, { what: 'poll in flight' });
    worker.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    worker.kill('SIGINT');
    expect(await exited(worker)).toBe(130);
  });
});
