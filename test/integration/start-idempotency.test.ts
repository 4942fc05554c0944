import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import { MonitorConflictError } from '../../src/errors/errors.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker, testClient } from '../helpers/workers.ts';

let iso: Isolated;
let server: StatusServer;
let client: JobwatchClient;

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
  client = testClient(iso);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await iso?.cleanup();
});

describe('starting a monitor that exists', () => {
  it('returns the running monitor and starts no second chain', async () => {
    server.script('dup-1', [{ status: 'Processing' }, { status: 'Processing' }, { status: 'Completed' }]);
    const input = { jobId: 'dup-1', statusUrl: server.template, interval: 150 };
    const results = await Promise.all([client.startMonitor(input), client.startMonitor(input), client.startMonitor(input)]);
    expect(results.filter((r) => r.created).length).toBeGreaterThanOrEqual(1);
    const again = await client.startMonitor(input);
    expect(again.created).toBe(false);
    expect(again.monitor).toMatchObject({ monitorId: 'dup-1', state: 'scheduled' });

    const worker = await startTestWorker(iso);
    try {
      const row = await waitFor(() => findResult(iso.database.db, 'dup-1'), { what: 'dup-1 result' });
      // One chain: three status calls in all, not three per start.
      expect(row.polls).toBe(3);
      expect(server.calls('dup-1')).toBe(3);
      expect(server.maxOverlap('dup-1')).toBe(1);
    } finally {
      await worker.close(5_000);
    }
  });

  it('returns the ended monitor and starts nothing once it has a final record', async () => {
    const again = await client.startMonitor({ jobId: 'dup-1', statusUrl: server.template, interval: 150 });
    expect(again).toMatchObject({ created: false, monitor: { state: 'ended', outcome: 'completed', polls: 3 } });
    expect((await iso.redisKeys()).filter((key) => key.endsWith(':polls:m-dup-1'))).toEqual([]);
  });

  it('refuses a monitor id taken by another job', async () => {
    await expect(client.startMonitor({ jobId: 'other-job', monitorId: 'dup-1', statusUrl: server.template })).rejects.toThrow(MonitorConflictError);
  });
});
