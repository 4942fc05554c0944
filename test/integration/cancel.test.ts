import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import { MonitorNotFoundError } from '../../src/errors/errors.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { BULLMQ_PATHS, startTestWorker, testClient } from '../helpers/workers.ts';

describe.each(BULLMQ_PATHS)('on the %s BullMQ path', (path) => {
  let iso: Isolated;
  let server: StatusServer;
  let worker: WorkerProcess;
  let client: JobwatchClient;

  beforeAll(async () => {
    iso = await createIsolation();
    server = await startStatusServer();
    worker = await startTestWorker(iso, { JOBWATCH_BULLMQ_PATH: path });
    client = testClient(iso, { JOBWATCH_BULLMQ_PATH: path });
  });

  afterAll(async () => {
    await client?.close();
    await worker?.close(5_000);
    await server?.close();
    await iso?.cleanup();
  });

  /**
   * Runs a witness monitor on the same worker and interval through three polls, two intervals apart:
   * time, on the worker's own clock however busy the machine, in which a canceled monitor would
   * have been polled again had its chain lived on. A fixed sleep could pass with no poll due.
   */
  async function letPollsGoBy(witnessId: string, intervalMs: number): Promise<void> {
    server.script(witnessId, [{ status: 'Processing' }, { status: 'Processing' }, { status: 'Completed' }]);
    await client.startMonitor({ jobId: witnessId, statusUrl: server.template, interval: intervalMs });
    await waitFor(() => findResult(iso.database.db, witnessId), { what: `${witnessId} to poll three times and end` });
  }

  describe('cancel', () => {
    it('stops polling a scheduled monitor and records canceled', async () => {
      server.script('cancel-1', [{ status: 'Processing' }]);
      await client.startMonitor({ jobId: 'cancel-1', statusUrl: server.template, interval: 200, metadata: { by: 'test' } });
      await waitFor(() => server.calls('cancel-1') >= 2, { what: 'two polls' });

      const state = await client.cancelMonitor('cancel-1');
      expect(state).toMatchObject({ state: 'ended', outcome: 'canceled' });
      const row = await waitFor(() => findResult(iso.database.db, 'cancel-1'), { what: 'canceled row' });
      expect(row).toMatchObject({ outcome: 'canceled', jobStatus: 'Processing', metadata: { by: 'test' } });

      const callsAtCancel = server.calls('cancel-1');
      await letPollsGoBy('cancel-1-witness', 200);
      expect(server.calls('cancel-1')).toBe(callsAtCancel);
    });

    it('cancels a monitor whose poll is in flight: it ends canceled and nothing polls afterwards', async () => {
      // Each status call takes 400ms, so the cancel lands while a poll holds the job.
      server.script('cancel-2', [{ status: 'Processing', delayMs: 400 }]);
      await client.startMonitor({ jobId: 'cancel-2', statusUrl: server.template, interval: 100 });
      await waitFor(async () => (await client.getMonitor('cancel-2'))?.state === 'polling', { what: 'a poll in flight', intervalMs: 10 });

      await client.cancelMonitor('cancel-2');
      const row = await waitFor(() => findResult(iso.database.db, 'cancel-2'), { what: 'canceled row' });
      expect(row.outcome).toBe('canceled');
      await waitFor(async () => !(await iso.redisKeys()).some((key) => key.endsWith(':polls:m-cancel-2')), { what: 'poll job gone' });
      const calls = server.calls('cancel-2');
      await letPollsGoBy('cancel-2-witness', 100);
      expect(server.calls('cancel-2')).toBe(calls);
      expect(server.maxOverlap('cancel-2')).toBe(1);
    });

    it('returns an ended monitor as it is', async () => {
      server.script('done-3', [{ status: 'Completed' }]);
      await client.startMonitor({ jobId: 'done-3', statusUrl: server.template, interval: 100 });
      await waitFor(() => findResult(iso.database.db, 'done-3'), { what: 'done-3 row' });
      expect(await client.cancelMonitor('done-3')).toMatchObject({ state: 'ended', outcome: 'completed' });
      expect((await findResult(iso.database.db, 'done-3'))?.outcome).toBe('completed');
    });

    it('says when there is no such monitor', async () => {
      await expect(client.cancelMonitor('never-started')).rejects.toThrow(MonitorNotFoundError);
    });

    it('leaves no cancel request behind', async () => {
      const redisKeys = await iso.redisKeys();
      const cancelKey = redisKeys.find((key) => key.includes(':polls:cancel:'));
      expect(cancelKey).toBeUndefined();
    });
  });
});
