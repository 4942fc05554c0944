import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker } from 'bullmq';
import { ConfigError } from '../../src/errors/errors.ts';
import { COMPLETION_JOB, openMonitorQueues } from '../../src/queue/queues.ts';
import { shardOf } from '../../src/queue/shards.ts';
import { toQueueJobId } from '../../src/monitor/queue-job-id.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker, testClient } from '../helpers/workers.ts';
import { countRows, rowsById } from '../helpers/results.ts';

const SHARDS = { JOBWATCH_SHARDS: '4', JOBWATCH_MIN_INTERVAL: '10ms' };

let iso: Isolated;
let server: StatusServer;

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
});
afterAll(async () => {
  await server.close();
  await iso.cleanup();
});

describe('JOBWATCH_SHARDS on one Redis', () => {
  it('spreads monitors over the shards by a stable hash of their id, and runs each to one record', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `shard-${i}`);
    for (const [i, id] of ids.entries()) server.script(id, [{ status: 'Processing' }, { status: i % 5 === 0 ? 'Failed' : 'Completed' }]);
    const client = testClient(iso, SHARDS);
    const redis = new Redis(TEST_REDIS_URL);
    const queues = openMonitorQueues(redis, iso.config(SHARDS));
    let worker: WorkerProcess | undefined;
    try {
      const started = await client.startMonitors(ids.map((jobId) => ({ jobId, statusUrl: server.template, interval: '50ms' })));
      expect(started.created).toBe(40);
      // Each monitor's job is in the shard its id hashes to, and the shards are all used.
      const counts = await Promise.all(queues.pollShards.map((queue) => queue.count()));
      expect(counts.every((count) => count > 0)).toBe(true);
      for (const id of ids.slice(0, 10)) expect(await queues.pollShards[shardOf(id, 4)]!.getJob(toQueueJobId(id))).toBeTruthy();
      expect(queues.pollShards.map((queue) => queue.name)).toEqual(['{polls-0}', '{polls-1}', '{polls-2}', '{polls-3}']);

      // Status and cancel find a monitor in whatever shard it is.
      expect((await client.getMonitor('shard-7'))?.state).toBe('scheduled');
      worker = await startTestWorker(iso, SHARDS);
      await waitFor(async () => (await countRows(iso)) === 40, { what: '40 rows' });
      const rows = await rowsById(iso);
      for (const [i, id] of ids.entries()) expect(rows.get(id)?.outcome).toBe(i % 5 === 0 ? 'failed' : 'completed');
      expect(await client.getMonitor('shard-7')).toMatchObject({ state: 'ended', outcome: 'completed' });
    } finally {
      await worker?.close();
      await queues.close();
      await redis.quit();
      await client.close();
    }
  });

  it('lists running monitors from every shard, and cancels in any', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `listed-${i}`);
    const client = testClient(iso, SHARDS);
    try {
      await client.startMonitors(ids.map((jobId) => ({ jobId, statusUrl: server.template, interval: '1h' })));
      const page = await client.listMonitors({ state: 'running', limit: 100 });
      expect(page.monitors.map((m) => m.monitorId).filter((id) => id.startsWith('listed-')).sort()).toEqual([...ids].sort());
      for (const id of ids) expect((await client.cancelMonitor(id)).monitorId).toBe(id);
    } finally {
      await client.close();
    }
  });

  it('refuses another shard count while monitors run in this one, naming both, and takes it once none run', async () => {
    const client = testClient(iso, SHARDS);
    const other = testClient(iso, { JOBWATCH_SHARDS: '2' });
    try {
      await client.startMonitor({ jobId: 'still-running', statusUrl: server.template, interval: '1h' });
      const refusal = other.startMonitor({ jobId: 'elsewhere', statusUrl: server.template });
      await expect(refusal).rejects.toThrow(ConfigError);
      await expect(other.startMonitor({ jobId: 'elsewhere', statusUrl: server.template }))
        .rejects.toThrow(/^JOBWATCH_SHARDS: JOBWATCH_SHARDS=2 does not match the \d+ monitors under prefix \S+, started with JOBWATCH_SHARDS=4/);
      await expect(startTestWorker(iso, { JOBWATCH_SHARDS: '2' })).rejects.toThrow(/JOBWATCH_SHARDS=2 does not match/);

      await client.cancelMonitor('still-running');
      // The canceled record is persisted by a worker of the running layout; then nothing is left.
      const worker = await startTestWorker(iso, SHARDS);
      await waitFor(async () => (await rowsById(iso)).get('still-running')?.outcome === 'canceled', { what: 'the canceled row' });
      await worker.close();
      const { created } = await other.startMonitor({ jobId: 'elsewhere', statusUrl: server.template, interval: '1h' });
      expect(created).toBe(true);
      await expect(client.startMonitor({ jobId: 'back-again', statusUrl: server.template })).rejects.toThrow(/JOBWATCH_SHARDS=4 does not match/);
    } finally {
      await other.close();
      await client.close();
    }
  });

  it('counts a record Postgres refused for good (failed) as live: another layout would no longer see it', async () => {
    const own = await createIsolation(); // a layout record of its own
    const client = testClient(own, SHARDS);
    const other = testClient(own, { JOBWATCH_SHARDS: '2' });
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queues = openMonitorQueues(redis, own.config(SHARDS));
    const refuser = new Worker(queues.completions.name, async () => {
      throw new UnrecoverableError('refused, as Postgres refuses a record it can never take');
    }, { connection: redis, prefix: own.prefix });
    try {
      await client.getMonitor('none'); // records the layout (4 shards), no monitor yet
      await client.startMonitor({ jobId: 'first', statusUrl: server.template, interval: '1h' });
      await client.cancelMonitor('first');
      await waitFor(async () => (await queues.completions.getJobCounts('failed')).failed === 1, { what: 'the record in the failed set' });
      expect(await queues.completions.getJob(toQueueJobId('first'))).toMatchObject({ name: COMPLETION_JOB });
      await expect(other.startMonitor({ jobId: 'elsewhere', statusUrl: server.template })).rejects.toThrow(/does not match the 1 monitors/);
      await (await queues.completions.getJob(toQueueJobId('first')))!.remove();
      expect((await other.startMonitor({ jobId: 'elsewhere', statusUrl: server.template, interval: '1h' })).created).toBe(true);
    } finally {
      await refuser.close();
      await queues.close();
      await redis.quit();
      await other.close();
      await client.close();
      await own.cleanup();
    }
  });
});
