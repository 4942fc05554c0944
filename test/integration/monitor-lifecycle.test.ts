import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { BULLMQ_PATHS, startTestWorker, testClient } from '../helpers/workers.ts';

// Every behaviour on both ways of re-scheduling (see BullmqSeam): each with its own prefix,
// database, status server and hook module.
describe.each(BULLMQ_PATHS)('on the %s BullMQ path', (path) => {
  let iso: Isolated;
  let server: StatusServer;
  let worker: WorkerProcess;
  let client: JobwatchClient;
  let hookDir: string;

  beforeAll(async () => {
    iso = await createIsolation();
    server = await startStatusServer();
    hookDir = mkdtempSync(join(tmpdir(), 'jobwatch-hook-'));
    // A status hook, as a user would write one around an SDK: counts calls per job.
    writeFileSync(join(hookDir, 'hook.mjs'), `
      const calls = new Map();
      export async function getJobStatus(jobId, context) {
        const n = (calls.get(jobId) ?? 0) + 1;
        calls.set(jobId, n);
        if (jobId === 'hook-object') return { state: { name: n < 2 ? 'Running' : 'Succeeded' }, meta: context.metadata };
        return n < 3 ? 'Processing' : 'Completed';
      }`);
    const env = { JOBWATCH_STATUS_HOOK: join(hookDir, 'hook.mjs'), JOBWATCH_RETRY_BASE: '50ms', JOBWATCH_BULLMQ_PATH: path };
    worker = await startTestWorker(iso, env);
    client = testClient(iso, env);
  });

  afterAll(async () => {
    await client?.close();
    await worker?.close(5_000);
    await server?.close();
    await iso?.cleanup();
    if (hookDir) rmSync(hookDir, { recursive: true, force: true });
  });

  async function endedRow(monitorId: string) {
    return waitFor(() => findResult(iso.database.db, monitorId), { what: `result of ${monitorId}` });
  }

  describe('a monitor from start to final record', () => {
    it('polls a job that reports Processing three times, then Completed: one row, outcome completed, 4 polls', async () => {
      server.script('transcode-1', [{ status: 'Processing' }, { status: 'Processing' }, { status: 'Processing' }, { status: 'Completed' }]);
      const { created, monitor } = await client.startMonitor({ jobId: 'transcode-1', statusUrl: server.template, interval: 100, metadata: { customer: 'acme' } });
      expect(created).toBe(true);
      expect(monitor.state).toBe('scheduled');

      const row = await endedRow('transcode-1');
      expect(row).toMatchObject({ monitorId: 'transcode-1', jobId: 'transcode-1', outcome: 'completed', jobStatus: 'Completed', polls: 4, metadata: { customer: 'acme' } });
      expect(row.detail).toEqual({ id: 'transcode-1', status: 'Completed' });
      expect(server.calls('transcode-1')).toBe(4);
      expect(await client.getMonitor('transcode-1')).toMatchObject({ state: 'ended', outcome: 'completed', persisted: true });
    });

    it('records a failed job as failed, with its raw status', async () => {
      server.script('export-2', [{ status: 'Running' }, { status: 'Failed' }]);
      await client.startMonitor({ jobId: 'export-2', statusUrl: server.template, interval: 100 });
      expect(await endedRow('export-2')).toMatchObject({ outcome: 'failed', jobStatus: 'Failed', polls: 2 });
    });

    it('ends a monitor whose job never finishes as expired, at its expiry', async () => {
      server.script('forever-3', [{ status: 'Processing' }]);
      // 15 intervals of life: room for the two polls checked below even when a busy machine delays some.
      const { monitor } = await client.startMonitor({ jobId: 'forever-3', statusUrl: server.template, interval: 100, expireIn: '1500ms' });
      const row = await endedRow('forever-3');
      expect(row).toMatchObject({ outcome: 'expired', jobStatus: 'Processing' });
      expect(row.polls).toBeGreaterThanOrEqual(2);
      expect(row.polls).toBe(server.calls('forever-3'));
      expect(row.finishedAt.getTime()).toBeGreaterThanOrEqual(new Date((monitor as { expireAt: string }).expireAt).getTime());
    });

    it('reads the status at a nested field', async () => {
      server.script('nested-4', [{ body: { data: { job: { state: 'InProgress' } } } }, { body: { data: { job: { state: 'Succeeded' } } } }]);
      await client.startMonitor({ jobId: 'nested-4', statusUrl: server.template, interval: 100, statusField: 'data.job.state' });
      expect(await endedRow('nested-4')).toMatchObject({ outcome: 'completed', jobStatus: 'Succeeded', polls: 2 });
    });

    it('replaces {jobId} URL-encoded and takes job ids BullMQ would refuse', async () => {
      server.script('tenant:7/job 1', [{ status: 'Done' }]);
      server.script('12345', [{ status: 'Done' }]);
      await client.startMonitor({ jobId: 'tenant:7/job 1', statusUrl: server.template, interval: 100 });
      await client.startMonitor({ jobId: '12345', statusUrl: server.template, interval: 100 });
      expect(await endedRow('tenant:7/job 1')).toMatchObject({ outcome: 'completed', polls: 1 });
      expect(await endedRow('12345')).toMatchObject({ outcome: 'completed', polls: 1 });
    });

    it('reads statuses from a code hook, as a string or inside an object', async () => {
      await client.startMonitor({ jobId: 'hook-string', statusHook: true, interval: 100 });
      await client.startMonitor({ jobId: 'hook-object', statusHook: true, statusField: 'state.name', interval: 100, metadata: { via: 'sdk' } });
      expect(await endedRow('hook-string')).toMatchObject({ outcome: 'completed', jobStatus: 'Completed', polls: 3 });
      const row = await endedRow('hook-object');
      expect(row).toMatchObject({ outcome: 'completed', jobStatus: 'Succeeded', polls: 2 });
      expect(row.detail).toEqual({ state: { name: 'Succeeded' }, meta: { via: 'sdk' } });
    });

    it('ends as errored when the status service does not know the job (404)', async () => {
      const { monitor } = await client.startMonitor({ jobId: 'unknown-job', statusUrl: server.template, interval: 100 });
      expect(monitor.jobId).toBe('unknown-job');
      const row = await endedRow('unknown-job');
      expect(row).toMatchObject({ outcome: 'errored', jobStatus: null, polls: 1 });
      expect(row.detail).toMatchObject({ reason: 'not-found', httpStatus: 404 });
    });

    it('leaves nothing of ended monitors in the poll queue', async () => {
      const keys = await iso.redisKeys();
      expect(keys.filter((key) => key.includes(':polls:m-'))).toEqual([]);
    });
  });
});
