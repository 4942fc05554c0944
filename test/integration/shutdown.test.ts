import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResult } from '../../src/db/results.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { spawnServing, type ServingProcess } from '../helpers/http.ts';
import { startPrivateRedis } from '../helpers/private-redis.ts';
import { exited, spawnCli, spawnWorker, testClient } from '../helpers/workers.ts';

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

// Every worker on this prefix uses one lock duration: BullMQ runs one stalled check per interval
// per queue, so a worker with the default 30s would hold off the quick recovery tested below.
const LOCK = { JOBWATCH_LOCK_DURATION: '1s' };

async function startSlowMonitor(jobId: string, delayMs: number) {
  server.script(jobId, [{ status: 'Completed', delayMs }]);
  const client = testClient(iso);
  await client.startMonitor({ jobId, statusUrl: server.template, interval: 100 });
  await client.close();
}

describe('worker shutdown', () => {
  it('SIGTERM lets the in-flight poll finish, then exits 0', async () => {
    await startSlowMonitor('slow-1', 1_500);
    const worker = spawnWorker(iso.env({ ...LOCK, LOG_LEVEL: 'info' }));
    await waitFor(() => server.calls('slow-1') === 1, { what: 'poll in flight' });
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    expect(worker.output()).toContain('shutting down: finishing in-flight polls');
    // The poll finished and handed its result on before the process left: a later worker only persists it.
    const next = spawnWorker(iso.env(LOCK));
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
    const env = iso.env({ ...LOCK, JOBWATCH_SHUTDOWN_TIMEOUT: '300ms', JOBWATCH_STATUS_TIMEOUT: '6s', LOG_LEVEL: 'info' });
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
    const worker = spawnWorker(iso.env({ ...LOCK, JOBWATCH_SHUTDOWN_TIMEOUT: '30s', LOG_LEVEL: 'info' }));
    await waitFor(() => server.calls('slow-3') === 1, { what: 'poll in flight' });
    worker.kill('SIGTERM');
    // The second signal only once the first has been handled, however long that takes.
    await waitFor(() => worker.output().includes('shutting down'), { what: 'the worker to start shutting down' });
    worker.kill('SIGINT');
    expect(await exited(worker)).toBe(130);
  });
});

describe('shutdown while Redis is down', () => {
  it.each([
    ['server', ['server', '--port', '0'], 'server listening', 'server listening'],
    ['worker', ['worker', '--metrics-port', '0'], 'metrics listening', 'worker started'],
  ])('jobwatch %s exits 0 on one SIGTERM, without waiting for Redis', async (_name, args, listening, started) => {
    const redis = await startPrivateRedis();
    // The worker waits JOBWATCH_SHUTDOWN_TIMEOUT for in-flight polls, which cannot finish without Redis.
    const env = iso.env({ REDIS_URL: redis.url, LOG_LEVEL: 'info', JOBWATCH_SHUTDOWN_TIMEOUT: '2s' });
    let serving: ServingProcess | undefined;
    try {
      serving = await spawnServing(args, env, listening);
      await waitFor(() => serving!.output().includes(`"msg":"${started}"`), { what: started });
      await redis.kill();
      await waitFor(() => /Redis connection error|worker error/.test(serving!.output()), { what: 'the process to notice Redis is gone' });
      // Redis stays down until the end, so exiting at all shows the process did not wait for it.
      expect(await serving.stop(), serving.output().slice(-3000)).toBe(0);
    } finally {
      if (serving?.child.exitCode === null) serving.child.kill('SIGKILL');
      await redis.stop();
    }
  }, 60_000);
});

describe('a stop right after the ready line', () => {
  // A supervisor (or a test) may stop a process the moment it reads that it is ready: its signal
  // handler must already be in place then, or the default action kills it mid-start (exit by signal).
  it.each([
    ['server', ['server', '--port', '0'], '"msg":"server listening"'],
    ['worker', ['worker'], '"msg":"worker started"'],
    ['demo-api', ['demo-api', '--port', '0'], 'demo job service listening'],
  ])('jobwatch %s: a SIGTERM sent as soon as its ready line is read is a clean stop, exit 0', async (_name, args, ready) => {
    const child = spawnCli(args, iso.env({ LOG_LEVEL: 'info' }));
    let sent = false;
    child.stdout!.on('data', () => {
      if (sent || !child.stdoutText().includes(ready)) return;
      sent = true;
      child.kill('SIGTERM');
    });
    expect(await exited(child), child.output()).toBe(0);
    expect(sent).toBe(true);
  });
});
