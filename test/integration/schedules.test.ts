import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker, testClient } from '../helpers/workers.ts';

// Schedules against a real worker and status service. Only lower bounds on time are asserted (a
// poll never comes sooner than its schedule says); a busy machine can only make polls later.

let iso: Isolated;
let status: StatusServer;
let worker: WorkerProcess;
let client: JobwatchClient;
const callTimes: number[] = [];

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  status.onCall(() => callTimes.push(Date.now()));
  worker = await startTestWorker(iso);
  client = testClient(iso);
});

afterAll(async () => {
  await client?.close();
  await worker?.close(5_000);
  await status?.close();
  await iso?.cleanup();
});

/** Runs one monitor to its row (one at a time, so every call time is its) and returns the gaps between its status calls. */
async function gapsOf(input: Parameters<JobwatchClient['startMonitor']>[0] & { jobId: string }): Promise<{ gaps: number[]; startToFirst: number }> {
  callTimes.length = 0;
  const started = Date.now();
  await client.startMonitor(input);
  const row = await waitFor(() => findResult(iso.database.db, input.jobId), { what: `the row of ${input.jobId}` });
  expect(row.outcome).toBe('completed');
  return { gaps: callTimes.slice(1).map((time, i) => time - callTimes[i]!), startToFirst: callTimes[0]! - started };
}

describe('schedules', () => {
  it('backoff: each interval after a running status grows by the factor, up to max', async () => {
    status.script('backoff-1', [...Array(5).fill({ status: 'Processing' }), { status: 'Completed' }]);
    const { gaps } = await gapsOf({ jobId: 'backoff-1', statusUrl: status.template, interval: 100, backoff: { factor: 2, max: 400 }, jitter: 0 });
    expect(gaps).toHaveLength(5);
    // 100, 200, 400, 400, 400 ms at least (a few ms of timer rounding aside).
    [100, 200, 400, 400, 400].forEach((least, i) => expect(gaps[i]).toBeGreaterThanOrEqual(least - 5));
  });

  it('firstPollIn holds the first poll back', async () => {
    status.script('first-1', [{ status: 'Completed' }]);
    const { startToFirst } = await gapsOf({ jobId: 'first-1', statusUrl: status.template, firstPollIn: '700ms', jitter: 0 });
    expect(startToFirst).toBeGreaterThanOrEqual(695);
  });

  it('202 without a status is running, and its Retry-After sets the next poll', async () => {
    status.script('accepted-1', [{ code: 202, body: '', headers: { 'retry-after': '1' } }, { status: 'Completed' }]);
    const { gaps } = await gapsOf({ jobId: 'accepted-1', statusUrl: status.template, interval: 100, jitter: 0 });
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toBeGreaterThanOrEqual(995);
  });

  it('a Retry-After on a 200 running answer sets the next poll too', async () => {
    status.script('retry-after-1', [{ status: 'Processing', headers: { 'retry-after': '1' } }, { status: 'Completed' }]);
    const { gaps } = await gapsOf({ jobId: 'retry-after-1', statusUrl: status.template, interval: 100, jitter: 0 });
    expect(gaps[0]).toBeGreaterThanOrEqual(995);
  });
});
