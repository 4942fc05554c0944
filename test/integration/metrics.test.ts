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
import { hostKeyOf } from '../../src/monitor/gate/rate-key.ts';
import { scrapeReaders } from '../../src/wiring/scrape-readers.ts';
import { startPrivateRedis } from '../helpers/private-redis.ts';

let iso: Isolated;
let status: StatusServer;
let server: RunningServer;
let failing: StatusServer;
let worker: ServingProcess;
const CONCURRENCY = 7;

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  // Another host (its own rate key), whose answers fail until its circuit opens.
  failing = await startStatusServer();
  server = await startTestServer(iso);
  // A real worker process, as deployed: `jobwatch worker --metrics-port N`.
  worker = await spawnServing(['worker', '--metrics-port', '0', '--concurrency', String(CONCURRENCY)],
    iso.env({ LOG_LEVEL: 'info', JOBWATCH_RETRY_BASE: '100ms', JOBWATCH_HOST_FAILURES: '3' }), 'metrics listening');
});

afterAll(async () => {
  await worker?.stop();
  await failing?.close();
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
      ['jobwatch_poll_slots', 'gauge'], ['jobwatch_poll_slots_busy', 'gauge'], ['jobwatch_monitors_overdue', 'gauge'],
      ['jobwatch_poll_overdue_seconds', 'gauge'], ['jobwatch_notification_backlog', 'gauge'], ['jobwatch_notification_backlog_oldest_seconds', 'gauge'],
      ['jobwatch_redis_maxmemory_policy_ok', 'gauge'], ['jobwatch_circuit_open', 'gauge'], ['jobwatch_scrape_errors_total', 'counter'],
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
    // Status calls are counted by key: here the status host's `host:port`, the monitors' rate key.
    const key = hostKeyOf(status.template);

    expect(delta('jobwatch_status_checks_total', { result: 'ok' })).toBe(2);
    expect(delta('jobwatch_status_checks_total', { result: 'failed' })).toBe(2);
    expect(delta('jobwatch_status_check_failures_total', { reason: 'http-status', key })).toBe(1);
    expect(delta('jobwatch_status_check_failures_total', { reason: 'not-found', key })).toBe(1);
    expect(delta('jobwatch_monitors_first_checked_total', { namespace: 'default' })).toBe(2);
    expect(delta('jobwatch_polls_total', { outcome: 'rescheduled' })).toBe(1);
    expect(delta('jobwatch_polls_total', { outcome: 'retry' })).toBe(1);
    expect(delta('jobwatch_polls_total', { outcome: 'ended' })).toBe(2);
    expect(delta('jobwatch_monitors_ended_total', { namespace: 'default', outcome: 'completed' })).toBe(1);
    expect(delta('jobwatch_monitors_ended_total', { namespace: 'default', outcome: 'errored' })).toBe(1);
    expect(delta('jobwatch_completions_total', { namespace: 'default', outcome: 'completed', result: 'inserted' })).toBe(1);
    expect(delta('jobwatch_completions_total', { namespace: 'default', outcome: 'errored', result: 'inserted' })).toBe(1);
    expect(delta('jobwatch_poll_lateness_seconds_count')).toBe(4);
    expect(delta('jobwatch_status_call_duration_seconds_count', { result: 'ok', key })).toBe(2);
    expect(delta('jobwatch_status_call_duration_seconds_count', { result: 'failed', key })).toBe(2);
    expect(delta('jobwatch_status_call_duration_seconds_sum', { result: 'ok', key })).toBeGreaterThan(0);
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

describe("the dashboard's gauges on a real worker's /metrics", () => {
  it('counts busy poll slots of the worker while a status call is in flight', async () => {
    expect((await scrape(worker.url)).value('jobwatch_poll_slots')).toBe(CONCURRENCY);
    status.script('m-slow', [{ status: 'Completed', delayMs: 2_000 }]);
    expect((await start('m-slow', 100)).status).toBe(201);
    await waitFor(async () => status.calls('m-slow') === 1 && (await scrape(worker.url)).value('jobwatch_poll_slots_busy') >= 1, { what: 'a busy slot' });
    await waitFor(async () => {
      const answered = (await findResult(iso.database.db, 'm-slow')) !== undefined;
      return answered && (await scrape(worker.url)).value('jobwatch_poll_slots_busy') === 0;
    }, { what: 'the slot free again' });
    // The server runs no poll worker: it reports no slots.
    expect((await scrape(server.url)).value('jobwatch_poll_slots')).toBe(0);
  });

  it("reports a key's circuit open, read from Redis, once its failures opened it", async () => {
    const key = hostKeyOf(failing.template);
    failing.script('m-down', [{ code: 503 }]);
    const reply = await request(`${server.url}/api/monitors`, { method: 'POST', body: { jobId: 'm-down', statusUrl: failing.template, interval: 100 } });
    expect(reply.status).toBe(201);
    const open = await waitFor(async () => {
      const m = await scrape(worker.url);
      return m.value('jobwatch_circuit_open', { key }) === 1 ? m : undefined;
    }, { what: 'the circuit reported open' });
    expect(open.value('jobwatch_circuit_open', { key: hostKeyOf(status.template) })).toBe(0);
    expect(open.value('jobwatch_status_call_duration_seconds_count', { result: 'failed', key })).toBeGreaterThanOrEqual(3);
    await request(`${server.url}/api/monitors/m-down`, { method: 'DELETE' });
  });

  it('counts notifications not yet delivered, read from Postgres, from the worker and the server alike', async () => {
    const before = (await scrape(worker.url)).value('jobwatch_notification_backlog');
    status.script('m-notify', [{ status: 'Completed' }]);
    // Nothing listens there: the notification stays owed, retried.
    const reply = await request(`${server.url}/api/monitors`, { method: 'POST', body: { jobId: 'm-notify', statusUrl: status.template, interval: 100, notifyUrl: 'http://127.0.0.1:1/hook' } });
    expect(reply.status).toBe(201);
    await waitFor(async () => (await scrape(worker.url)).value('jobwatch_notification_backlog') === before + 1, { what: 'one more notification owed' });
    expect((await scrape(server.url)).value('jobwatch_notification_backlog')).toBe(before + 1);
  });

  it("says Redis's eviction policy is safe (the workers refuse to start on an unsafe one)", async () => {
    expect((await scrape(worker.url)).value('jobwatch_redis_maxmemory_policy_ok')).toBe(1);
    expect((await scrape(worker.url)).value('jobwatch_monitors_overdue')).toBe(0);
  });
});

describe('gauges read at scrape, where no worker takes the polls', () => {
  const logger = createLogger({ logLevel: 'silent' }, { pretty: false });

  it('counts polls more than a minute past due, delayed or waiting, and how late the oldest is', async () => {
    const redis = createRedis(iso.config().redisUrl);
    // A prefix of its own under the file's: no worker consumes it.
    const queues = openQueues(redis, `${iso.prefix}-idle`);
    const metrics = createMetrics({ queues, logger, readers: scrapeReaders({ prefix: `${iso.prefix}-idle` }, redis, queues) });
    const gauges = async () => {
      const m = parsePrometheusText((await metrics.render()).body);
      return { overdue: m.value('jobwatch_monitors_overdue'), late: m.value('jobwatch_poll_overdue_seconds') };
    };
    try {
      const [polls] = queues.pollShards;
      const now = Date.now();
      expect(await gauges()).toEqual({ overdue: 0, late: 0 });
      // Due in an hour, and due 10 s ago: neither is overdue.
      await polls!.add('poll', {} as never, { jobId: 'future', delay: 3_600_000 });
      await polls!.add('poll', {} as never, { jobId: 'recent', delay: 1_000, timestamp: now - 11_000 });
      expect((await gauges()).overdue).toBe(0);
      // Due 5 min and 2 min ago, still delayed: no worker moved them on.
      await polls!.add('poll', {} as never, { jobId: 'late-1', delay: 1_000, timestamp: now - 301_000 });
      await polls!.add('poll', {} as never, { jobId: 'late-2', delay: 1_000, timestamp: now - 121_000 });
      const delayed = await gauges();
      expect(delayed.overdue).toBe(2);
      expect(delayed.late).toBeGreaterThanOrEqual(300);
      expect(delayed.late).toBeLessThan(400);
      // Waiting (due, moved on, not taken) since 3 min ago: it and the waiting after it count.
      await polls!.add('poll', {} as never, { jobId: 'waiting-1', timestamp: now - 180_000 });
      await polls!.add('poll', {} as never, { jobId: 'waiting-2' });
      expect((await gauges()).overdue).toBe(4);
    } finally {
      await queues.close();
      redis.disconnect();
    }
  });

  it('reports an evicting Redis as unsafe', async () => {
    const evicting = await startPrivateRedis(['--maxmemory-policy', 'allkeys-lru']);
    const redis = createRedis(evicting.url);
    const queues = openQueues(redis, iso.prefix);
    try {
      const metrics = createMetrics({ queues, logger, readers: scrapeReaders({ prefix: iso.prefix }, redis, queues) });
      expect(parsePrometheusText((await metrics.render()).body).value('jobwatch_redis_maxmemory_policy_ok')).toBe(0);
    } finally {
      await queues.close();
      redis.disconnect();
      await evicting.stop();
    }
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
