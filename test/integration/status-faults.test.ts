import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type ScriptedAnswer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker, testClient } from '../helpers/workers.ts';

// Retries start at 20ms and status calls time out after 1s (room for a loaded CI machine), so faults play out in seconds at most.
const ENV = { JOBWATCH_RETRY_BASE: '20ms', JOBWATCH_RETRY_MAX: '200ms', JOBWATCH_STATUS_TIMEOUT: '1s', JOBWATCH_MAX_STATUS_FAILURES: '4' };

let iso: Isolated;
let server: StatusServer;
let worker: WorkerProcess;
let client: JobwatchClient;

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
  worker = await startTestWorker(iso, ENV);
  client = testClient(iso, ENV);
});

afterAll(async () => {
  await client?.close();
  await worker?.close(5_000);
  await server?.close();
  await iso?.cleanup();
});

const row = (monitorId: string) => waitFor(() => findResult(iso.database.db, monitorId), { what: `result of ${monitorId}`, timeoutMs: 30_000 });

const FAULTS: Record<string, ScriptedAnswer> = {
  '5xx': { code: 503, body: { error: 'overloaded' } },
  timeout: { status: 'Processing', delayMs: 2_500 },
  'body not JSON': { body: '<html>maintenance</html>' },
  'no status field': { body: { state: 'Processing' } },
  '429 without Retry-After': { code: 429, body: {} },
};

describe('a failed status check is retried, not counted as the job running', () => {
  it.each(Object.entries(FAULTS))('%s twice, then Completed: completed', async (name, fault) => {
    const jobId = `fault-${name.replace(/\W+/g, '-')}`;
    server.script(jobId, [fault, fault, { status: 'Completed' }]);
    await client.startMonitor({ jobId, statusUrl: server.template, interval: '1m' });
    // With a one-minute interval, only retries (not polls of a running job) can end this in time.
    expect(await row(jobId)).toMatchObject({ outcome: 'completed', jobStatus: 'Completed', polls: 3 });
  });

  it('honours Retry-After on a 429', async () => {
    server.script('retry-after', [{ code: 429, headers: { 'retry-after': '1' }, body: {} }, { status: 'Completed' }]);
    const started = Date.now();
    await client.startMonitor({ jobId: 'retry-after', statusUrl: server.template, interval: '1m' });
    const result = await row('retry-after');
    expect(result.outcome).toBe('completed');
    expect(result.finishedAt.getTime() - started).toBeGreaterThanOrEqual(950);
  });

  it('ends as errored after the budget of failures in a row, with the last error in detail', async () => {
    server.script('always-503', [{ code: 503, body: {} }]);
    await client.startMonitor({ jobId: 'always-503', statusUrl: server.template, interval: '1m' });
    const result = await row('always-503');
    expect(result).toMatchObject({ outcome: 'errored', polls: 4 });
    expect(result.detail).toMatchObject({ reason: 'http-status', httpStatus: 503, consecutiveFailures: 4 });
    expect((result.detail as { error: string }).error).toMatch(/answered 503$/);
  });

  it('treats connection refused as a failed check', async () => {
    await client.startMonitor({ jobId: 'refused', statusUrl: 'http://127.0.0.1:1/jobs/{jobId}', interval: '1m' });
    const result = await row('refused');
    expect(result.outcome).toBe('errored');
    expect(result.detail).toMatchObject({ reason: 'connection' });
    expect((result.detail as { error: string }).error).toContain('ECONNREFUSED');
  });

  it('ends as errored at expiry when the checks were still failing', async () => {
    server.script('failing-at-expiry', [{ code: 500, body: {} }]);
    await client.startMonitor({ jobId: 'failing-at-expiry', statusUrl: server.template, interval: '1m', expireIn: '150ms' });
    const result = await row('failing-at-expiry');
    expect(result.outcome).toBe('errored');
    expect(result.detail).toMatchObject({ error: expect.stringMatching(/answered 500$/) });
  });
});

describe('faults mixed at random', () => {
  it('every monitor still ends with the outcome its job reached', async () => {
    const faults = Object.values(FAULTS).filter((fault) => !fault.delayMs);
    const expected = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const answers: ScriptedAnswer[] = [];
      for (let poll = 0; poll < 3; poll++) {
        // At most two faults in a row, under the budget of four.
        const faultsHere = Math.floor(Math.random() * 3);
        for (let f = 0; f < faultsHere; f++) answers.push(faults[Math.floor(Math.random() * faults.length)]!);
        answers.push({ status: 'Processing' });
      }
      const final = i % 3 === 0 ? 'Failed' : 'Completed';
      answers.push({ status: final });
      server.script(`mixed-${i}`, answers);
      expected.set(`mixed-${i}`, final.toLowerCase());
    }
    await client.startMonitors([...expected.keys()].map((jobId) => ({ jobId, statusUrl: server.template, interval: 100 })));
    for (const [jobId, outcome] of expected) expect((await row(jobId)).outcome).toBe(outcome);
  });
});

describe('one bad monitor', () => {
  it('never holds up the others: healthy monitors end while a hanging one is still being retried', async () => {
    server.script('hangs', [{ status: 'Processing', delayMs: 5_000 }]);
    await client.startMonitor({ jobId: 'hangs', statusUrl: server.template, interval: 100 });
    const healthy = Array.from({ length: 20 }, (_, i) => `healthy-${i}`);
    for (const jobId of healthy) server.script(jobId, [{ status: 'Processing' }, { status: 'Processing' }, { status: 'Completed' }]);
    await client.startMonitors(healthy.map((jobId) => ({ jobId, statusUrl: server.template, interval: 100 })));
    for (const jobId of healthy) expect((await row(jobId)).outcome).toBe('completed');
    expect(await findResult(iso.database.db, 'hangs')).toBeUndefined();
    // Its first call is cut off by the timeout, and it is retried, not ended.
    const hanging = await waitFor(async () => {
      const state = await client.getMonitor('hangs');
      return state && 'lastError' in state && state.lastError ? state : undefined;
    }, { what: 'the hanging call to time out' });
    expect(hanging).toMatchObject({ state: expect.stringMatching(/scheduled|polling/), lastError: expect.stringContaining('did not answer within 1000ms') });
  });
});
