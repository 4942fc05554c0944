import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, runCli, spawnWorker } from '../helpers/workers.ts';

let iso: Isolated;
let server: StatusServer;

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
});

afterAll(async () => {
  await server?.close();
  await iso?.cleanup();
});

describe('jobwatch enqueue rejects bad input with one line, exit code 2, nothing enqueued', () => {
  const url = () => `${server.url}/jobs/{jobId}`;
  it.each([
    ['no --job-id', () => ['--status-url', url()], /^jobwatch: --job-id: is required$/],
    ['a bad duration', () => ['--job-id', 'a', '--status-url', url(), '--interval', 'fast'], /^jobwatch: --interval: "fast" is not a duration/],
    ['a bare number as duration', () => ['--job-id', 'a', '--status-url', url(), '--expire-in', '60'], /^jobwatch: --expire-in: /],
    ['a bad URL', () => ['--job-id', 'a', '--status-url', 'file:///etc/passwd'], /^jobwatch: --status-url: must be an absolute http/],
    ['a batch URL with {jobId}', () => ['--job-id', 'a', '--batch-status-url', url()], /^jobwatch: --batch-status-url: must not contain \{jobId\}: the job ids are sent in the POST body$/],
    ['a status URL and a batch URL', () => ['--job-id', 'a', '--status-url', url(), '--batch-status-url', 'http://127.0.0.1:9/statuses'], /^jobwatch: --status-url: give exactly one of/],
    ['invalid --meta JSON', () => ['--job-id', 'a', '--status-url', url(), '--meta', '{oops'], /^jobwatch: --meta: is not valid JSON/],
    ['--meta that is not an object', () => ['--job-id', 'a', '--status-url', url(), '--meta', '[1]'], /^jobwatch: --meta: must be a JSON object/],
    ['an unknown flag', () => ['--job-id', 'a', '--status-url', url(), '--colour', 'red'], /^jobwatch: --colour: unknown option/],
    ['a flag without its value', () => ['--job-id'], /^jobwatch: --job-id: needs a value/],
    ['a bad --rate-key', () => ['--job-id', 'a', '--status-url', url(), '--rate-key', 'a b'], /^jobwatch: --rate-key: must be letters, digits or/],
  ])('%s', async (_name, args, message) => {
    const result = await runCli(['enqueue', ...args()], iso.env());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
    expect(await iso.redisKeys()).toEqual([]);
  });

  it('a bad environment variable: one line naming it, exit code 2', async () => {
    const result = await runCli(['status', 'x'], iso.env({ JOBWATCH_DEFAULT_INTERVAL: 'often' }));
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^jobwatch: JOBWATCH_DEFAULT_INTERVAL: "often" is not a duration/);
  });
});

describe('the CLI end to end', () => {
  it('enqueue, status while running, status once ended, with a worker process running', async () => {
    // The job keeps running until the test has seen it running: on a slow machine a CLI start can
    // outlast a few polls.
    let sawRunning = false;
    server.script('cli-job', [{ status: 'Processing', repeatUntil: () => sawRunning }, { status: 'Processing' }, { status: 'Completed' }]);
    const enqueued = await runCli(
      ['enqueue', '--job-id', 'cli-job', '--status-url', `${server.url}/jobs/{jobId}`, '--interval', '2s', '--meta', '{"team":"video"}'],
      iso.env(),
    );
    expect(enqueued.stderr).toBe('');
    expect(enqueued.code).toBe(0);
    expect(JSON.parse(enqueued.stdout)).toMatchObject({ created: true, monitorId: 'cli-job', state: 'scheduled', metadata: { team: 'video' } });

    const again = await runCli(['enqueue', '--job-id', 'cli-job', '--status-url', `${server.url}/jobs/{jobId}`], iso.env());
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, monitorId: 'cli-job' });

    const worker = spawnWorker(iso.env());
    try {
      await waitFor(() => server.calls('cli-job') >= 1, { what: 'first poll' });
      const running = JSON.parse((await runCli(['status', 'cli-job'], iso.env())).stdout);
      expect(['scheduled', 'polling']).toContain(running.state);
      expect(running).toHaveProperty('nextPollAt');
      sawRunning = true;

      const ended = await waitFor(async () => {
        const state = JSON.parse((await runCli(['status', 'cli-job'], iso.env())).stdout);
        return state.state === 'ended' && state.persisted ? state : undefined;
      }, { what: 'ended state', intervalMs: 200 });
      expect(ended).toMatchObject({ outcome: 'completed', jobStatus: 'Completed', polls: server.calls('cli-job'), metadata: { team: 'video' } });
      expect(ended.polls).toBeGreaterThanOrEqual(3);
    } finally {
      worker.kill('SIGTERM');
      expect(await exited(worker)).toBe(0);
    }
  });

  it('status of an unknown monitor: one line, exit code 1', async () => {
    const result = await runCli(['status', 'nope'], iso.env());
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('jobwatch: no monitor with id nope');
  });

  it('enqueue --batch-status-url: status shows the batch source, without its query', async () => {
    const enqueued = await runCli(['enqueue', '--job-id', 'cli-batch', '--batch-status-url', `${server.url}/statuses?token=secret`, '--first-poll-in', '1h'], iso.env());
    expect(enqueued.code).toBe(0);
    const result = await runCli(['status', 'cli-batch'], iso.env());
    expect(JSON.parse(result.stdout)).toMatchObject({ monitorId: 'cli-batch', state: 'scheduled', statusSource: `batch ${server.url}/statuses` });
  });

  it('cancel through the CLI records canceled', async () => {
    server.script('cli-cancel', [{ status: 'Processing' }]);
    await runCli(['enqueue', '--job-id', 'cli-cancel', '--status-url', `${server.url}/jobs/{jobId}`, '--interval', '1m'], iso.env());
    const result = await runCli(['cancel', 'cli-cancel'], iso.env());
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ monitorId: 'cli-cancel', state: 'ended', outcome: 'canceled' });
  });
});
