import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import { EndRequests } from '../../src/queue/end-requests.ts';
import { decidePush } from '../../src/monitor/push.ts';
import { createVocabulary } from '../../src/monitor/statuses.ts';
import { openQueues } from '../../src/queue/queues.ts';
import { connectRedis } from '../../src/redis/connection.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { BULLMQ_PATHS, exited, spawnWorker, testClient } from '../helpers/workers.ts';

/**
 * A pushed status against everything that can end a monitor at the same moment, with two real
 * `jobwatch worker` processes: the first end decided wins, one row is written, and nothing polls
 * after it. Races are set up by progress (a poll is in flight when the status server is called),
 * never by the clock.
 */
describe.each(BULLMQ_PATHS)('on the %s BullMQ path', (path) => {
  let iso: Isolated;
  let server: StatusServer;
  let client: JobwatchClient;
  let workers: ChildProcess[] = [];
  const env = () => iso.env({ JOBWATCH_BULLMQ_PATH: path, JOBWATCH_LOCK_DURATION: '2s' });

  beforeAll(async () => {
    iso = await createIsolation();
    server = await startStatusServer();
    workers = [spawnWorker(env()), spawnWorker(env())];
    client = testClient(iso, { JOBWATCH_BULLMQ_PATH: path });
  });

  afterAll(async () => {
    await client?.close();
    for (const worker of workers) {
      worker.kill('SIGTERM');
      await exited(worker);
    }
    await server?.close();
    await iso?.cleanup();
  });

  const row = (id: string) => waitFor(() => findResult(iso.database.db, id), { what: `the row of ${id}` });

  /** A witness monitor polled three times on the same workers: time in which a live chain would have polled again. */
  async function letPollsGoBy(witnessId: string): Promise<void> {
    server.script(witnessId, [{ status: 'Processing' }, { status: 'Processing' }, { status: 'Completed' }]);
    await client.startMonitor({ jobId: witnessId, statusUrl: server.template, interval: 100 });
    await row(witnessId);
  }

  /** Starts a monitor whose status calls take `delayMs`, and waits until one is in flight. */
  async function withPollInFlight(id: string, answer: string, delayMs = 600): Promise<void> {
    server.script(id, [{ status: answer, delayMs }]);
    const callsBefore = server.calls(id);
    await client.startMonitor({ jobId: id, statusUrl: server.template, interval: 100 });
    await waitFor(() => server.calls(id) > callsBefore, { what: `a status call of ${id} in flight`, intervalMs: 5 });
  }

  it('a terminal push ends a scheduled monitor now, via push, and nothing polls it again', async () => {
    server.script('push-1', [{ status: 'Processing' }]);
    await client.startMonitor({ jobId: 'push-1', statusUrl: server.template, interval: 300, metadata: { team: 'video' } });
    await waitFor(() => server.calls('push-1') >= 1, { what: 'a first poll' });
    const callsAtPush = server.calls('push-1');
    const answer = await client.reportStatus('push-1', { status: 'Completed', body: { url: 's3://out/1.mp4' } });
    expect(answer).toMatchObject({ state: 'ended', outcome: 'completed', jobStatus: 'Completed', accepted: true });
    expect(await row('push-1')).toMatchObject({ outcome: 'completed', jobStatus: 'Completed', detail: { via: 'push', body: { url: 's3://out/1.mp4' } }, metadata: { team: 'video' } });
    await letPollsGoBy('push-1-witness');
    // A poll a worker had taken before the push landed may still make its one status call (it then
    // ends with the pushed record, as with a cancel); nothing polls after that.
    const calls = server.calls('push-1');
    expect(calls).toBeLessThanOrEqual(callsAtPush + 1);
    await letPollsGoBy('push-1-witness-2');
    expect(server.calls('push-1')).toBe(calls);
  });

  it('a push while a poll is in flight wins; that poll does not call the status service again', async () => {
    await withPollInFlight('push-2', 'Processing');
    const answer = await client.reportStatus('push-2', { status: 'Failed' });
    expect(answer).toMatchObject({ state: 'ended', outcome: 'failed', accepted: true });
    expect(await row('push-2')).toMatchObject({ outcome: 'failed', detail: { via: 'push' } });
    const calls = server.calls('push-2');
    await letPollsGoBy('push-2-witness');
    expect(server.calls('push-2')).toBe(calls);
    expect(server.maxOverlap('push-2')).toBe(1);
  });

  it('a push racing a poll in flight that reads a terminal status: one row, and `accepted` says whose', async () => {
    await withPollInFlight('push-3', 'Failed', 300);
    const answer = await client.reportStatus('push-3', { status: 'Completed' });
    const written = await row('push-3');
    expect(written.outcome).toBe(answer.accepted ? 'completed' : 'failed');
    expect((await client.reportStatus('push-3', { status: 'Completed' })).accepted).toBe(false);
  });

  it('a push racing a cancel: one row, both answers name it, exactly one of them decided it', async () => {
    await withPollInFlight('push-4', 'Processing', 300);
    const [pushed, canceled] = await Promise.all([client.reportStatus('push-4', { status: 'Completed' }), client.cancelMonitor('push-4')]);
    const written = await row('push-4');
    expect(pushed).toMatchObject({ state: 'ended', outcome: written.outcome });
    expect(canceled).toMatchObject({ state: 'ended', outcome: written.outcome });
    expect(written.outcome).toBe(pushed.accepted ? 'completed' : 'canceled');
  });

  it('two pushes racing: one row, exactly one accepted', async () => {
    await withPollInFlight('push-5', 'Processing', 300);
    const answers = await Promise.all([client.reportStatus('push-5', { status: 'Completed' }), client.reportStatus('push-5', { status: 'Failed' })]);
    const written = await row('push-5');
    expect(answers.filter((answer) => answer.accepted)).toHaveLength(1);
    expect(answers.find((answer) => answer.accepted)).toMatchObject({ outcome: written.outcome });
    for (const answer of answers) expect(answer).toMatchObject({ state: 'ended', outcome: written.outcome });
  });

  it('a running push is recorded as the last status and ends nothing', async () => {
    server.script('push-6', [{ status: 'Processing' }, { status: 'Processing' }, { status: 'Completed' }]);
    await client.startMonitor({ jobId: 'push-6', statusUrl: server.template, interval: '1m' });
    await waitFor(() => server.calls('push-6') >= 1, { what: 'a first poll' });
    await waitFor(async () => (await client.getMonitor('push-6'))?.state === 'scheduled', { what: 'push-6 scheduled' });
    const answer = await client.reportStatus('push-6', { status: 'Queued' });
    expect(answer).toMatchObject({ state: 'scheduled', lastStatus: 'Queued', accepted: true });
    await client.cancelMonitor('push-6');
  });

  it('a crash right after the end request (before the record is added) still ends the monitor with the pushed record, without a status call', async () => {
    server.script('push-7', [{ status: 'Processing' }]);
    await client.startMonitor({ jobId: 'push-7', statusUrl: server.template, interval: 400 });
    await waitFor(() => server.calls('push-7') >= 1, { what: 'a first poll' });
    // What a pushing process leaves when it dies after its first write: the end request alone.
    const redis = connectRedis(iso.config());
    const queues = openQueues(redis, iso.prefix);
    try {
      const job = await queues.pollsOf('push-7').getJob('m-push-7');
      const decision = decidePush(job!.data, { status: 'Completed' }, Date.now(), createVocabulary({ running: iso.config().runningStatuses }));
      if (decision.kind !== 'finish') throw new Error('Completed is terminal');
      await new EndRequests(redis, queues).request(decision.result, job!.data.expireAt);
      const calls = server.calls('push-7');
      expect(await row('push-7')).toMatchObject({ outcome: 'completed', detail: { via: 'push' } });
      expect(server.calls('push-7')).toBeLessThanOrEqual(calls + 1); // at most the poll already due, which then ends
    } finally {
      await queues.close();
      await redis.quit();
    }
  });

  it('a push whose workers are SIGKILLed before the row is written: the row comes once a worker is back', async () => {
    server.script('push-8', [{ status: 'Processing' }]);
    for (const worker of workers) {
      worker.kill('SIGKILL');
      await exited(worker);
    }
    workers = [spawnWorker(env(), ['--only', 'polls'])];
    await client.startMonitor({ jobId: 'push-8', statusUrl: server.template, interval: 300 });
    await waitFor(() => server.calls('push-8') >= 1, { what: 'a first poll' });
    expect(await client.reportStatus('push-8', { status: 'Completed' })).toMatchObject({ accepted: true, persisted: false });
    workers[0]!.kill('SIGKILL');
    await exited(workers[0]!);
    expect(await findResult(iso.database.db, 'push-8')).toBeUndefined();
    workers = [spawnWorker(env()), spawnWorker(env())];
    expect(await row('push-8')).toMatchObject({ outcome: 'completed', detail: { via: 'push' } });
  });

  it('an early push is kept, and ends the monitor at its start without a status call', async () => {
    const early = await client.reportStatus('push-9', { status: 'Completed', body: { early: true } });
    expect(early).toMatchObject({ monitorId: 'push-9', state: 'not-started', accepted: true, status: 'Completed' });
    server.script('push-9', [{ status: 'Processing' }]);
    await client.startMonitor({ jobId: 'push-9', statusUrl: server.template, interval: 100 });
    expect(await row('push-9')).toMatchObject({ outcome: 'completed', detail: { via: 'push', body: { early: true } } });
    expect(server.calls('push-9')).toBe(0);
  });
});
