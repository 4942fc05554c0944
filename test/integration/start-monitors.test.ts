import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { START_CHUNK_SIZE } from '../../src/client/start-monitors.ts';
import { findResult, persistResult } from '../../src/db/results.ts';
import { InvalidInputError } from '../../src/errors/errors.ts';
import { parseMonitorInput, type MonitorInput } from '../../src/monitor/input.ts';
import { toQueueJobId } from '../../src/monitor/queue-job-id.ts';
import { COMPLETION_JOB, COMPLETION_JOB_OPTIONS, COMPLETION_QUEUE, POLL_QUEUE } from '../../src/queue/queues.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker, testClient } from '../helpers/workers.ts';

let iso: Isolated;
let client: JobwatchClient;
let server: StatusServer;
let connection: Redis;
let polls: Queue;
let completions: Queue;

beforeAll(async () => {
  iso = await createIsolation();
  client = testClient(iso);
  server = await startStatusServer();
  connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  polls = new Queue(POLL_QUEUE, { connection, prefix: iso.prefix });
  completions = new Queue(COMPLETION_QUEUE, { connection, prefix: iso.prefix });
});

afterAll(async () => {
  await client?.close();
  await polls?.close();
  await completions?.close();
  await connection?.quit();
  await server?.close();
  await iso?.cleanup();
});

const inputs = (prefix: string, n: number): MonitorInput[] =>
  Array.from({ length: n }, (_, i) => ({ jobId: `${prefix}-${i}`, statusUrl: 'http://127.0.0.1:1/jobs/{jobId}', interval: '1h' }));

const pollJobs = async () => (await polls.getJobCounts('waiting', 'delayed')).waiting!;

describe('startMonitors', () => {
  it('starts more monitors than one chunk holds, one poll job each', async () => {
    const n = START_CHUNK_SIZE * 2 + 300;
    const started = await client.startMonitors(inputs('bulk', n));
    expect(started).toMatchObject({ created: n, existing: 0, conflicts: 0 });
    expect(started.monitors[0]).toEqual({ namespace: 'default', monitorId: 'bulk-0', jobId: 'bulk-0', created: true });
    expect(await pollJobs()).toBe(n);
    expect((await client.getMonitor(`bulk-${n - 1}`))?.state).toBe('scheduled');
  });

  it('rejects the whole call when one input is bad, naming its index and field, and enqueues nothing', async () => {
    const before = await pollJobs();
    const batch = inputs('bad', START_CHUNK_SIZE + 500);
    batch[START_CHUNK_SIZE + 7] = { jobId: 'bad-x', statusUrl: 'http://127.0.0.1:1/x', interval: '10ms' };
    const error = await client.startMonitors(batch).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(`inputs[${START_CHUNK_SIZE + 7}].interval`);
    expect((error as Error).message).toMatch(new RegExp(`^inputs\\[${START_CHUNK_SIZE + 7}\\]\\.interval: 10ms is out of range`));
    expect(await pollJobs()).toBe(before);
  });

  it('collapses an id given twice in one call, and refuses one id given for two jobs', async () => {
    const before = await pollJobs();
    const same = { jobId: 'twice', statusUrl: 'http://127.0.0.1:1/x' };
    const started = await client.startMonitors([same, { jobId: 'other', statusUrl: 'http://127.0.0.1:1/x' }, same]);
    expect(started.monitors.map((m) => [m.monitorId, m.created])).toEqual([['twice', true], ['other', true]]);
    expect(await pollJobs()).toBe(before + 2);

    const clash = [{ jobId: 'a', monitorId: 'shared', statusUrl: 'http://127.0.0.1:1/x' }, { jobId: 'b', monitorId: 'shared', statusUrl: 'http://127.0.0.1:1/x' }];
    await expect(client.startMonitors(clash)).rejects.toThrow(/^inputs\[1\]\.monitorId: shared is given at inputs\[0\] for job a/);
    expect(await pollJobs()).toBe(before + 2);
  });

  it('takes validated monitors as they are, beside raw inputs it validates', async () => {
    // A start time the client's clock would never give: a second parse inside would replace it.
    const validatedAt = Date.now() - 3_600_000;
    const defaults = { intervalMs: 60_000, expireInMs: 7_200_000 };
    const validated = parseMonitorInput({ jobId: 'checked', statusUrl: 'http://127.0.0.1:1/x', interval: '1h' }, defaults, validatedAt);
    const started = await client.startMonitors([validated, { jobId: 'raw', statusUrl: 'http://127.0.0.1:1/x', interval: '1h' }]);
    expect(started).toMatchObject({ created: 2, existing: 0, conflicts: 0 });
    expect(await client.getMonitor('checked')).toMatchObject({ startedAt: new Date(validatedAt).toISOString(), expireAt: new Date(validatedAt + 7_200_000).toISOString() });
    const single = parseMonitorInput({ jobId: 'checked-one', statusUrl: 'http://127.0.0.1:1/x', interval: '1h' }, defaults, validatedAt);
    expect((await client.startMonitor(single)).monitor).toMatchObject({ monitorId: 'checked-one', startedAt: new Date(validatedAt).toISOString() });
  });

  it('starts nothing again for ids that are running, waiting to be persisted, or persisted', async () => {
    const before = await pollJobs();
    const pending = { monitorId: 'pending', jobId: 'pending', outcome: 'completed' as const, jobStatus: 'Done', polls: 2, startedAt: 1, finishedAt: 2, detail: null, metadata: null };
    await completions.add(COMPLETION_JOB, pending, { ...COMPLETION_JOB_OPTIONS, jobId: toQueueJobId('pending') });
    await persistResult(iso.database.db, { ...pending, monitorId: 'persisted', jobId: 'persisted' });

    const again = [...inputs('bulk', 5), ...['pending', 'persisted', 'new-one'].map((jobId) => ({ jobId, statusUrl: 'http://127.0.0.1:1/x' }))];
    const started = await client.startMonitors(again);
    expect(started).toMatchObject({ created: 1, existing: 7, conflicts: 0 });
    expect(started.monitors.filter((m) => m.created).map((m) => m.monitorId)).toEqual(['new-one']);
    expect(await pollJobs()).toBe(before + 1);
  });

  it('reports an existing id that watches another job as a conflict and starts nothing for it', async () => {
    const started = await client.startMonitors([
      { jobId: 'someone-else', monitorId: 'bulk-3', statusUrl: 'http://127.0.0.1:1/x' },
      { jobId: 'someone-else', monitorId: 'persisted', statusUrl: 'http://127.0.0.1:1/x' },
    ]);
    expect(started).toMatchObject({ created: 0, existing: 0, conflicts: 2 });
    expect(started.monitors.map((m) => m.conflictingJobId)).toEqual(['bulk-3', 'persisted']);
  });

  it('starts monitors that a worker runs to one final record each', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `run-${i}`);
    for (const id of ids) server.script(id, [{ status: 'Running' }, { status: 'Done' }]);
    await polls.obliterate({ force: true }); // the worker is not to poll the unreachable monitors above
    const started = await client.startMonitors(ids.map((jobId) => ({ jobId, statusUrl: server.template, interval: 100 })));
    expect(started.created).toBe(30);
    const worker = await startTestWorker(iso);
    try {
      for (const id of ids) {
        expect(await waitFor(() => findResult(iso.database.db, id), { what: `row of ${id}` })).toMatchObject({ outcome: 'completed', polls: 2 });
        expect(server.calls(id)).toBe(2);
      }
    } finally {
      await worker.close(5_000);
    }
  });
});
