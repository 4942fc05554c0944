import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndRequests } from '../../src/queue/end-requests.ts';
import { BullmqSeam, FAST_PATH_BULLMQ_VERSION, installedBullmqVersion } from '../../src/queue/bullmq-seam.ts';
import { openQueues, POLL_JOB_OPTIONS, type MonitorQueues } from '../../src/queue/queues.ts';
import { createRedis } from '../../src/redis/connection.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { BULLMQ_PATHS, startTestWorker, testClient } from '../helpers/workers.ts';

const redis = createRedis(TEST_REDIS_URL);
afterAll(async () => {
  await redis.quit();
});

describe('choosing the BullMQ path', () => {
  const seamFor = (options: { path?: 'fast' | 'public'; bullmqVersion?: string }, warnings: string[]) =>
    new BullmqSeam({ connection: redis, endRequests: new EndRequests(redis, openQueues(redis, 'unused')), warn: (line) => warnings.push(line), ...options });

  it('takes the fast path with the BullMQ it was written for, which is the one installed', () => {
    expect(installedBullmqVersion()).toBe(FAST_PATH_BULLMQ_VERSION);
    const warnings: string[] = [];
    expect(seamFor({}, warnings).path).toBe('fast');
    expect(warnings).toEqual([]);
  });

  it('takes the public path with another BullMQ, and says so in one line', () => {
    const warnings: string[] = [];
    expect(seamFor({ bullmqVersion: '6.0.0' }, warnings).path).toBe('public');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^BullMQ 6\.0\.0 is not 5\.81\.5.*JOBWATCH_BULLMQ_PATH=public/);
  });

  it('takes the public path when asked, silently', () => {
    const warnings: string[] = [];
    expect(seamFor({ path: 'public' }, warnings).path).toBe('public');
    expect(warnings).toEqual([]);
  });
});

describe.each(BULLMQ_PATHS)('a re-scheduled poll job on the %s path', (path) => {
  let iso: Isolated;
  let server: StatusServer;
  let worker: WorkerProcess;
  let queues: MonitorQueues;

  beforeAll(async () => {
    iso = await createIsolation();
    server = await startStatusServer();
    worker = await startTestWorker(iso, { JOBWATCH_BULLMQ_PATH: path });
    queues = openQueues(redis, iso.prefix);
  });
  afterAll(async () => {
    await queues?.close();
    await worker?.close(5_000);
    await server?.close();
    await iso?.cleanup();
  });

  it('carries the new context and waits in the delayed set until its next poll', async () => {
    server.script('store-1', [{ status: 'Processing' }]);
    const client = testClient(iso, { JOBWATCH_BULLMQ_PATH: path });
    try {
      await client.startMonitor({ jobId: 'store-1', statusUrl: server.template, interval: '1h' });
      const job = await waitFor(async () => {
        const found = await queues.pollShards[0]!.getJob('m-store-1');
        return found?.data.polls === 1 && (await found.getState()) === 'delayed' ? found : undefined;
      }, { what: 'store-1 polled once and delayed' });
      expect(job.data).toMatchObject({ lastStatus: 'Processing', polls: 1 });
      const score = Number(await redis.zscore(queues.pollShards[0]!.toKey('delayed'), 'm-store-1'));
      expect(Math.floor(score / 0x1000)).toBe(job.data.nextCheckAt);
      if (path === 'fast') {
        // What Bull Board shows as the next run (timestamp + delay), with no "delay changed" note.
        expect(job.timestamp + job.delay).toBe(job.data.nextCheckAt);
        expect(job.opts.delay).toBe(job.delay);
        expect(job.attemptsMade).toBe(0);
        // The options were rewritten with the delay; the rest of them are as the job was added.
        expect(job.opts).toMatchObject({ ...POLL_JOB_OPTIONS, jobId: 'm-store-1' });
      }
    } finally {
      await client.close();
    }
  });
});
