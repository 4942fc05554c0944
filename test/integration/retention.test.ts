import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { insertChecks } from '../../src/db/checks.ts';
import { persistResults } from '../../src/db/results.ts';
import type { MonitorResult } from '../../src/monitor/context.ts';
import type { CheckRecord } from '../../src/monitor/history.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, runCli, spawnWorker, startTestWorker, testClient } from '../helpers/workers.ts';
import { startStatusServer } from '../helpers/status-server.ts';
import { findResult } from '../../src/db/results.ts';
import { COMPLETION_JOB_OPTIONS } from '../../src/queue/queues.ts';
import { toQueueJobId } from '../../src/monitor/queue-job-id.ts';

const DAY = 86_400_000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function isolated(): Promise<Isolated> {
  const iso = await createIsolation();
  cleanups.push(() => iso.cleanup());
  return iso;
}

function result(monitorId: string, finishedAt: number): MonitorResult {
  return { monitorId, jobId: monitorId, outcome: 'completed', jobStatus: 'Done', polls: 1, startedAt: finishedAt - 1_000, finishedAt, detail: null, metadata: null };
}

function check(monitorId: string, seq: number, checkedAt: number): CheckRecord {
  return { monitorId, seq, checkedAt, status: 'Running', result: 'running', reason: null, error: null, httpStatus: 200, latencyMs: 1, lateMs: 0, via: 'poll' };
}

/** 2,500 old and 20 new final records and history rows (more than two purge batches of old ones), and old notifications, one undelivered. */
async function seed(iso: Isolated): Promise<void> {
  const now = Date.now();
  const old = Array.from({ length: 2_500 }, (_, i) => result(`old-${i}`, now - 40 * DAY));
  const fresh = Array.from({ length: 20 }, (_, i) => result(`new-${i}`, now - DAY));
  for (let i = 0; i < old.length; i += 500) await persistResults(iso.database.db, old.slice(i, i + 500));
  await persistResults(iso.database.db, fresh);
  const checks = [...old.map((r) => check(r.monitorId, 1, now - 40 * DAY)), ...fresh.map((r) => check(r.monitorId, 1, now - DAY))];
  for (let i = 0; i < checks.length; i += 500) await insertChecks(iso.database.db, checks.slice(i, i + 500));
  await iso.database.db.execute(sql`
    insert into monitor_notifications (monitor_id, channel, target, body, give_up_at, delivered_at, created_at) values
      ('old-0', 'webhook', 'http://127.0.0.1:1/x', '{}', now(), now() - interval '40 days', now() - interval '40 days'),
      ('old-1', 'webhook', 'http://127.0.0.1:1/x', '{}', now() + interval '1 day', null, now() - interval '40 days'),
      ('new-0', 'webhook', 'http://127.0.0.1:1/x', '{}', now(), now(), now())`);
}

async function counts(iso: Isolated) {
  const [row] = (await iso.database.db.execute(sql`select
    (select count(*)::int from monitor_results) as results, (select count(*)::int from monitor_checks) as checks,
    (select count(*)::int from monitor_notifications) as notifications`)) as unknown as { results: number; checks: number; notifications: number }[];
  return row!;
}

describe('retention', () => {
  it('jobwatch purge --older-than 30d: a dry run counts, the purge deletes only what is old, undelivered notifications stay', async () => {
    const iso = await isolated();
    await seed(iso);
    const dry = await runCli(['purge', '--older-than', '30d', '--dry-run'], iso.env());
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ results: 2_500, checks: 2_500, notifications: 1, dryRun: true });
    expect(await counts(iso)).toEqual({ results: 2_520, checks: 2_520, notifications: 3 });

    const purged = await runCli(['purge', '--older-than', '30d'], iso.env());
    expect(JSON.parse(purged.stdout)).toMatchObject({ results: 2_500, checks: 2_500, notifications: 1, dryRun: false });
    expect(await counts(iso)).toEqual({ results: 20, checks: 20, notifications: 2 });

    const bad = await runCli(['purge', '--older-than', 'soon'], iso.env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than');
  });

  it('the scheduled purge runs once across 3 workers, from one job scheduler, and deletes only what is old', async () => {
    const iso = await isolated();
    await seed(iso);
    const env = iso.env({ JOBWATCH_RETENTION: '30d', JOBWATCH_HISTORY_RETENTION: '7d', JOBWATCH_PURGE_EVERY: '1h', LOG_LEVEL: 'info' });
    const workers = [spawnWorker(env), spawnWorker(env), spawnWorker(env)];
    cleanups.push(async () => {
      for (const child of workers) child.kill('SIGTERM');
      await Promise.all(workers.map(exited));
    });
    await waitFor(() => workers.every((child) => child.output().includes('worker started')), { what: 'three workers started' });
    await waitFor(async () => (await counts(iso)).checks === 20, { what: 'the old rows purged' });
    expect(await counts(iso)).toEqual({ results: 20, checks: 20, notifications: 2 });

    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const maintenance = new Queue('maintenance', { connection: redis, prefix: iso.prefix });
    try {
      expect(await maintenance.getJobSchedulers()).toHaveLength(1);
      // Wait until the run's job is done, then count the runs every worker logged.
      await waitFor(async () => ((await maintenance.getJobCounts('completed')).completed ?? 0) >= 1, { what: 'the purge job completed' });
      // Nothing else to run: only the scheduler's next run waits, an hour away.
      expect(await maintenance.getJobCounts('waiting', 'active', 'prioritized', 'delayed')).toMatchObject({ waiting: 0, active: 0, prioritized: 0, delayed: 1 });
      const runs = workers.flatMap((child) => child.output().split('\n').filter((line) => line.includes('"msg":"purge done"')));
      expect(runs).toHaveLength(1);
      expect(JSON.parse(runs[0]!)).toMatchObject({ results: 2_500, checks: 2_500, notifications: 1 });
    } finally {
      await maintenance.close();
      await redis.quit();
    }
  });
});

describe('BullMQ jobs in Redis', () => {
  it('a poll job is removed when its monitor ends; its completion job is kept an hour, then removed; nothing else stays', async () => {
    const iso = await isolated();
    const server = await startStatusServer();
    cleanups.push(() => server.close());
    const worker = await startTestWorker(iso);
    cleanups.push(() => worker.close(5_000));
    const client = testClient(iso);
    cleanups.push(() => client.close());
    server.script('kept-1', [{ status: 'Processing' }, { status: 'Done' }]);
    await client.startMonitor({ jobId: 'kept-1', statusUrl: server.template, interval: 100 });
    await waitFor(() => findResult(iso.database.db, 'kept-1'), { what: 'the final record' });

    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const polls = new Queue('polls', { connection: redis, prefix: iso.prefix });
    const completions = new Queue('completions', { connection: redis, prefix: iso.prefix });
    try {
      const completed = await waitFor(async () => (await completions.getJob(toQueueJobId('kept-1')))?.finishedOn ? completions.getJob(toQueueJobId('kept-1')) : undefined, { what: 'the completion job done' });
      expect(await polls.getJob(toQueueJobId('kept-1'))).toBeUndefined();
      expect(await polls.getJobCounts('completed', 'failed')).toEqual({ completed: 0, failed: 0 });
      // Kept so that a poll re-run after a crash finds it (within seconds) and Bull Board shows recent ends.
      expect(completed!.opts.removeOnComplete).toEqual({ age: 3_600, count: 10_000 });
      expect(COMPLETION_JOB_OPTIONS.removeOnFail).toBe(false);
    } finally {
      await polls.close();
      await completions.close();
      await redis.quit();
    }
  });
});
