import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResult } from '../../src/db/results.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { request, spawnServing, startTestServer, type ServingProcess } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { parsePrometheusText, type Exposition } from '../helpers/prometheus-text.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { openQueues } from '../../src/queue/queues.ts';
import { createRedis } from '../../src/redis/connection.ts';

let iso: Isolated;
let status: StatusServer;
let server: RunningServer;
let worker: ServingProcess;

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  server = await startTestServer(iso);
  // A real worker process, as deployed: `jobwatch worker --metrics-port N`.
  worker = await spawnServing(['worker', '--metrics-port', '0'], iso.env({ LOG_LEVEL: 'info', JOBWATCH_RETRY_BASE: '100ms' }), 'metrics listening');
});

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await status?.close();
  await iso?.cleanup();
});

async function scrape(url: string): Promise<Exposition> {
  const reply = await request(`${url}/metrics`);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(reply.text);
}

const start = (jobId: string, interval: number | string) =>
  request(`${server.url}/api/monitors`, { method: 'POST', body: { jobId, statusUrl: status.template, interval } });

describe('/metrics', () => {
  it('parses as Prometheus text and declares every jobwatch family', async () => {
    const metrics = await scrape(worker.url);
    for (const [name, type] of [
      ['jobwatch_status_checks_total', 'counter'], ['jobwatch_status_check_failures_total', 'counter'],
      ['jobwatch_polls_total', 'counter'], ['jobwatch_monitors_ended_total', 'counter'], ['jobwatch_completions_total', 'counter'],
      ['jobwatch_completion_retries_total', 'counter'], ['jobwatch_poll_lateness_seconds', 'histogram'],
      ['jobwatch_status_call_duration_seconds', 'histogram'], ['jobwatch_queue_jobs', 'gauge'],
    ]) {
      expect(metrics.types.get(name!), name).toBe(type);
    }
  });

  it("the worker's counters and histograms move as monitors run", async () => {
    const before = await scrape(worker.url);
    status.script('m-ok', [{ status: 'Running' }, { status: 'Completed' }]);
    status.script('m-err', [{ code: 503 }, { code: 404 }]);
    expect((await start('m-ok', 100)).status).toBe(201);
    expect((await start('m-err', 100)).status).toBe(201);
    await waitFor(async () => (await findResult(iso.database.db, 'm-ok')) && (await findResult(iso.database.db, 'm-err')), { what: 'both rows' });
    // The completion worker counts after the row is written; give the scrape that moment.
    const after = await waitFor(async () => {
      const m = await scrape(worker.url);
      return m.value('jobwatch_completions_total', { namespace: 'default', outcome: 'errored', result: 'inserted' }) >= 1 ? m : undefined;
    }, { what: 'completions counted' });
    const delta = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);

    expect(delta('jobwatch_status_checks_total', { result: 'ok' })).toBe(2);
    expect(delta('jobwatch_status_checks_total', { result: 'failed' })).toBe(2);
    expect(delta('jobwatch_status_check_failures_total', { reason: 'http-status' })).toBe(1);
    expect(delta('jobwatch_status_check_failures_total', { reason: 'not-found' })).toBe(1);
    expect(delta('jobwatch_polls_total', { outcome: 'rescheduled' })).toBe(1);
    expect(delta('jobwatch_polls_total', { outcome: 'retry' })).toBe(1);
    expect(delta('jobwatch_polls_total', { outcome: 'ended' })).toBe(2);
    expect(delta('jobwatch_monitors_ended_total', { namespace: 'default', outcome: 'completed' })).toBe(1);
    expect(delta('jobwatch_monitors_ended_total', { namespace: 'default', outcome: 'errored' })).toBe(1);
    expect(delta('jobwatch_completions_total', { namespace: 'default', outcome: 'completed', result: 'inserted' })).toBe(1);
    expect(delta('jobwatch_completions_total', { namespace: 'default', outcome: 'errored', result: 'inserted' })).toBe(1);
    expect(delta('jobwatch_poll_lateness_seconds_count')).toBe(4);
    expect(delta('jobwatch_status_call_duration_seconds_count', { result: 'ok' })).toBe(2);
    expect(delta('jobwatch_status_call_duration_seconds_count', { result: 'failed' })).toBe(2);
    expect(delta('jobwatch_status_call_duration_seconds_sum', { result: 'ok' })).toBeGreaterThan(0);
  });

  it('queue job counts by state are read at scrape time, the same from the server and the worker', async () => {
    const before = await scrape(server.url);
    const delayed = (m: Exposition) => m.value('jobwatch_queue_jobs', { queue: 'polls', state: 'delayed' });
    status.script('m-wait', [{ status: 'Processing' }]);
    expect((await start('m-wait', '1h')).status).toBe(201);
    await waitFor(async () => status.calls('m-wait') === 1 && delayed(await scrape(server.url)) === delayed(before) + 1, { what: 'one more delayed poll job' });
    expect(delayed(await scrape(worker.url))).toBe(delayed(before) + 1);
    const completed = (await scrape(server.url)).value('jobwatch_queue_jobs', { queue: 'completions', state: 'completed' });
    expect(completed).toBeGreaterThanOrEqual(2);

    await request(`${server.url}/api/monitors/m-wait`, { method: 'DELETE' });
    await waitFor(async () => delayed(await scrape(server.url)) === delayed(before), { what: 'the canceled poll job gone' });
  });
});

describe('/metrics while Redis does not answer', () => {
  it('still answers, without queue counts, and counts the failure in the same scrape', async () => {
    const logger = createLogger({ logLevel: 'silent' }, { pretty: false });
    const redis = createRedis('redis://127.0.0.1:1', { retryStrategy: () => 1_000 });
    redis.on('error', () => {});
    const queues = openQueues(redis, iso.prefix);
    const metrics = createMetrics({ queues, logger });
    try {
      const { body } = await metrics.render();
      expect(parsePrometheusText(body).value('jobwatch_queue_count_errors_total', {})).toBe(1);
      expect(body).not.toMatch(/^jobwatch_queue_jobs\{/m);
      expect(parsePrometheusText((await metrics.render()).body).value('jobwatch_queue_count_errors_total', {})).toBe(2);
    } finally {
      redis.disconnect();
    }
  });
});
