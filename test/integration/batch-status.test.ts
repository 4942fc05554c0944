import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { startBatchStatusServer, type BatchStatusServer } from '../helpers/batch-status-server.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { countRows, rowsById } from '../helpers/results.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, spawnWorker, testClient } from '../helpers/workers.ts';

// Monitors with a batchStatusUrl, run by real `jobwatch worker` processes against a real batch
// status server that records the ids of each request.

let iso: Isolated;
let server: BatchStatusServer;
let client: JobwatchClient;
let workers: ReturnType<typeof spawnWorker>[];

beforeEach(async () => {
  iso = await createIsolation();
  server = await startBatchStatusServer();
  client = testClient(iso);
  workers = [];
});

afterEach(async () => {
  for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await Promise.all(workers.map(exited));
  await client?.close();
  await server?.close();
  await iso?.cleanup();
});

/** Starts `count` worker processes and waits until each says it started, before any monitor exists. */
async function startWorkers(count: number, env: Record<string, string>): Promise<void> {
  const started = Array.from({ length: count }, () => spawnWorker(iso.env({ LOG_LEVEL: 'info', ...env })));
  workers.push(...started);
  await waitFor(() => started.every((worker) => worker.output().includes('"msg":"worker started"')), { what: 'workers to start', timeoutMs: 30_000 });
}

const processing = (times: number) => Array.from({ length: times }, () => ({ status: 'Processing' }));

describe('batched status checks, with worker processes', () => {
  it('carry many ids per request, and end each monitor with its own correct row', async () => {
    const MONITORS = 300;
    // A window long enough that the polls due at once meet in it however slowly jobs are fetched.
    await startWorkers(2, { JOBWATCH_CONCURRENCY: '100', JOBWATCH_BATCH_WINDOW: '200ms' });
    for (let i = 0; i < MONITORS; i++) server.script(`b-${i}`, [...processing(i % 3), { status: i % 10 === 0 ? 'Failed' : 'Completed' }]);
    await client.startMonitors(Array.from({ length: MONITORS }, (_, i) => ({ jobId: `b-${i}`, batchStatusUrl: server.url, interval: 200 })));

    await waitFor(async () => (await countRows(iso)) === MONITORS, { timeoutMs: 60_000, intervalMs: 200, what: `${MONITORS} rows` });

    const rows = await rowsById(iso);
    expect(rows.size).toBe(MONITORS);
    let polls = 0;
    for (let i = 0; i < MONITORS; i++) {
      const row = rows.get(`b-${i}`)!;
      expect(row).toMatchObject({ outcome: i % 10 === 0 ? 'failed' : 'completed', polls: (i % 3) + 1 });
      polls += row.polls;
    }
    const sizes = server.requests().map((request) => request.ids.length);
    // Each request carries distinct ids, and many of them: far fewer requests than status checks.
    for (const request of server.requests()) expect(new Set(request.ids).size).toBe(request.ids.length);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(polls);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(20);
    expect(sizes.length * 5).toBeLessThanOrEqual(polls);
    expect(server.jobsWithOverlap()).toEqual([]);
  }, 90_000);

  it('polls of a batch source meet at slots: 3 worker processes send many ids per request even from a fleet spread over its interval', async () => {
    const MONITORS = 600;
    const INTERVAL_MS = 2_000;
    await startWorkers(3, { JOBWATCH_CONCURRENCY: '30' });
    for (let i = 0; i < MONITORS; i++) server.script(`s-${i}`, [...processing(4), { status: 'Completed' }]);
    // First polls spread evenly over the interval, as a fleet started over time is: a random jitter
    // keeps them spread (about 6 ids per request here, measured); slots gather them from the second poll on (about 16).
    await client.startMonitors(Array.from({ length: MONITORS }, (_, i) => ({
      jobId: `s-${i}`, batchStatusUrl: server.url, interval: INTERVAL_MS, firstPollIn: Math.round((i / MONITORS) * INTERVAL_MS),
    })));
    const seen = new Set<string>();
    let firstRound = 0;
    await waitFor(() => {
      const requests = server.requests();
      for (const request of requests.slice(firstRound)) for (const id of request.ids) seen.add(id);
      firstRound = requests.length;
      return seen.size === MONITORS;
    }, { timeoutMs: 60_000, intervalMs: 50, what: 'every monitor polled once' });
    await waitFor(async () => (await countRows(iso)) === MONITORS, { timeoutMs: 90_000, intervalMs: 200, what: `${MONITORS} rows` });

    const later = server.requests().slice(firstRound);
    const ids = later.reduce((sum, request) => sum + request.ids.length, 0);
    expect(ids).toBeGreaterThan(MONITORS * 3);
    expect(ids / later.length).toBeGreaterThanOrEqual(10);
    expect(server.jobsWithOverlap()).toEqual([]);
  }, 120_000);

  it('a failed batch is a failed check for each monitor in it, and each retries alone; a missing id ends only its monitor', async () => {
    const MONITORS = 40;
    await startWorkers(1, { JOBWATCH_CONCURRENCY: '100', JOBWATCH_BATCH_WINDOW: '100ms', JOBWATCH_RETRY_BASE: '1s' });
    for (let i = 0; i < MONITORS; i++) server.script(`f-${i}`, [...processing(1), { status: 'Completed' }]);
    server.script('f-nofield', [{ body: { state: 'unknown' } }, { status: 'Completed' }]);
    // f-gone is never scripted: every answer leaves it out.
    const jobIds = [...Array.from({ length: MONITORS }, (_, i) => `f-${i}`), 'f-nofield', 'f-gone'];
    server.failNext(1, { code: 503 });
    await client.startMonitors(jobIds.map((jobId) => ({ jobId, batchStatusUrl: server.url, interval: '2s' })));

    await waitFor(async () => (await countRows(iso)) === jobIds.length, { timeoutMs: 60_000, intervalMs: 200, what: `${jobIds.length} rows` });

    const [failed, ...later] = server.requests();
    expect(failed!.failed).toBe(true);
    const inFailed = new Set(failed!.ids);
    const rows = await rowsById(iso);
    for (const jobId of jobIds) {
      // The failed batch counted one failed check for each of its monitors, and for no other.
      const extra = inFailed.has(jobId) ? 1 : 0;
      const row = rows.get(jobId)!;
      if (jobId === 'f-gone') {
        expect(row).toMatchObject({ outcome: 'errored', polls: 1 + extra, detail: { reason: 'not-found' } });
      } else {
        expect(row).toMatchObject({ outcome: 'completed', polls: 2 + extra });
      }
    }
    // Each monitor of the failed batch came back on its own backoff (half of it random), not as
    // the batch it failed in: their retries are spread over more than one request.
    const firstRetry = new Map<string, number>();
    later.forEach((request, index) => request.ids.forEach((id) => { if (inFailed.has(id) && !firstRetry.has(id)) firstRetry.set(id, index); }));
    expect(firstRetry.size).toBe(inFailed.size);
    if (inFailed.size >= 10) expect(new Set(firstRetry.values()).size).toBeGreaterThan(1);
  }, 90_000);

  it('every monitor ends with exactly one correct row when workers are SIGKILLed in the middle', async () => {
    const MONITORS = 300;
    const KILL_AT = [0.1, 0.3, 0.6];
    const env = { JOBWATCH_CONCURRENCY: '50', JOBWATCH_LOCK_DURATION: '1s', JOBWATCH_SHUTDOWN_TIMEOUT: '2s' };
    const expected = new Map<string, string>();
    let neededIds = 0;
    for (let i = 0; i < MONITORS; i++) {
      const final = i % 7 === 0 ? 'Failed' : 'Completed';
      server.script(`k-${i}`, [...processing(i % 5), { status: final }]);
      expected.set(`k-${i}`, final === 'Failed' ? 'failed' : 'completed');
      neededIds += (i % 5) + 1;
    }
    await startWorkers(3, env);
    // Kills follow progress (the ids asked for), not the clock: each lands while monitors still poll.
    const thresholds = KILL_AT.map((share) => Math.ceil(share * neededIds));
    const killedAt: number[] = [];
    server.onRequest((ids) => {
      if (killedAt.length >= thresholds.length || ids < thresholds[killedAt.length]!) return;
      const victim = workers.find((worker) => worker.exitCode === null && worker.signalCode === null);
      if (!victim) return;
      victim.kill('SIGKILL');
      killedAt.push(ids);
      workers.push(spawnWorker(iso.env(env))); // replaced, as a supervisor would
    });
    await client.startMonitors([...expected.keys()].map((jobId) => ({ jobId, batchStatusUrl: server.url, interval: 200 })));

    await waitFor(async () => (await countRows(iso)) >= MONITORS, { timeoutMs: 100_000, intervalMs: 500, what: 'every monitor to end' });

    expect(killedAt).toHaveLength(KILL_AT.length);
    for (const ids of killedAt) expect(ids).toBeLessThan(neededIds);
    // monitor_id is the table's key: as many rows as monitors is one row each.
    expect(await countRows(iso)).toBe(MONITORS);
    const rows = await rowsById(iso);
    for (const [jobId, outcome] of expected) expect(rows.get(jobId)?.outcome).toBe(outcome);
    expect(server.jobsWithOverlap()).toEqual([]);
    // Batches formed throughout: far fewer requests than ids asked for.
    expect(server.requests().length * 3).toBeLessThan(server.requests().reduce((sum, request) => sum + request.ids.length, 0));
  }, 150_000);
});
