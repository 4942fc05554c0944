import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findNotifications } from '../../src/db/notification-outbox.ts';
import { readDocumentation } from '../helpers/docs.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { parsePrometheusText } from '../helpers/prometheus-text.ts';
import { startWebhookReceiver, type Delivery } from '../helpers/webhook-receiver.ts';
import { exited, runCli, spawnWorker, testClient } from '../helpers/workers.ts';

// Notifications end to end, with `jobwatch worker` processes and a real receiver. The receiver
// checks each delivery with the snippet the docs show (docs/history-and-notifications.md), taken from the docs themselves.

const SECRET = 'notify-test-secret-0123456789';
/** The README's receiver snippet and the status hook, as files; removed after the file's tests. */
const scratch = mkdtempSync(join(tmpdir(), 'jobwatch-notify-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
type Verify = (secret: string, headers: Record<string, unknown>, body: string, now?: number) => boolean;
let verifyWebhook: Verify;

beforeAll(async () => {
  const snippet = /<!-- receiver-snippet -->\n```js\n([\s\S]*?)```\n<!-- \/receiver-snippet -->/.exec(readDocumentation())?.[1];
  expect(snippet, 'the receiver snippet in the docs').toBeDefined();
  const file = join(scratch, 'verify.mjs');
  writeFileSync(file, snippet!);
  ({ verifyWebhook } = (await import(pathToFileURL(file).href)) as { verifyWebhook: Verify });
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function isolated(): Promise<Isolated> {
  const iso = await createIsolation();
  cleanups.push(() => iso.cleanup());
  return iso;
}

function worker(iso: Isolated, env: Record<string, string>, args: string[] = []) {
  const child = spawnWorker(iso.env({ JOBWATCH_NOTIFY_SECRET: SECRET, JOBWATCH_NOTIFY_RETRY_BASE: '50ms', JOBWATCH_NOTIFY_TIMEOUT: '1s', ...env }), args);
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited(child);
  });
  return child;
}

/** Monitors whose job is already done: each ends at its first poll. */
async function startEndedMonitors(iso: Isolated, ids: string[], extra: Record<string, unknown> = {}) {
  const client = testClient(iso);
  try {
    for (const id of ids) await client.startMonitor({ jobId: id, statusHook: true, interval: 100, ...extra });
  } finally {
    await client.close();
  }
}

const HOOK_DONE = (() => {
  const file = join(scratch, 'done.mjs');
  writeFileSync(file, 'export async function getJobStatus() { return "Completed"; }\n');
  return file;
})();

function accepted(deliveries: Delivery[], monitorId: string): Delivery[] {
  return deliveries.filter((d) => d.monitorId === monitorId && d.answered === 200);
}

describe('webhook notifications', () => {
  it('a receiver failing its first 3 deliveries gets exactly one accepted, validly signed delivery per monitor; status shows it', async () => {
    const iso = await isolated();
    const receiver = await startWebhookReceiver((_id, before) => (before < 3 ? 500 : 200));
    cleanups.push(() => receiver.close());
    const workers = [0, 1].map(() => worker(iso, { JOBWATCH_NOTIFY_URL: receiver.url, JOBWATCH_STATUS_HOOK: HOOK_DONE, LOG_LEVEL: 'info' }, ['--metrics-port', '0']));
    const ids = ['n-1', 'n-2', 'n-3', 'n-4', 'n-5'];
    await startEndedMonitors(iso, ids);

    await waitFor(() => ids.every((id) => accepted(receiver.deliveries, id).length >= 1), { what: 'an accepted delivery per monitor' });
    for (const id of ids) {
      const all = receiver.deliveries.filter((d) => d.monitorId === id);
      expect(accepted(receiver.deliveries, id)).toHaveLength(1);
      expect(all.map((d) => d.answered)).toEqual([500, 500, 500, 200]);
      for (const delivery of all) {
        expect(delivery.headers['webhook-id']).toBe(`jobwatch:${id}`);
        expect(verifyWebhook(SECRET, delivery.headers, delivery.body)).toBe(true);
        expect(verifyWebhook('another-secret-0123456789', delivery.headers, delivery.body)).toBe(false);
        expect(verifyWebhook(SECRET, delivery.headers, delivery.body.replace('Completed', 'Failed'))).toBe(false);
      }
      expect(JSON.parse(all[0]!.body)).toMatchObject({ type: 'monitor.ended', monitorId: id, outcome: 'completed', jobStatus: 'Completed' });
    }
    const status = await waitFor(async () => {
      const printed = await runCli(['status', 'n-1'], iso.env());
      const state = JSON.parse(printed.stdout) as { notifications?: { deliveredAt: string | null }[] };
      return state.notifications?.[0]?.deliveredAt ? state : undefined;
    }, { what: 'the delivery recorded' });
    expect(status.notifications).toEqual([{
      channel: 'webhook', target: receiver.url, attempts: 4, deliveredAt: expect.any(String), gaveUpAt: null, lastError: null,
    }]);

    // Counted by the two workers' metrics together: 5 delivered, 15 to retry (each counted once it is recorded).
    const urls = workers.map((child) => /"url":"([^"]+\/metrics)"/.exec(child.output())?.[1]);
    expect(urls.every(Boolean), 'a metrics URL in each worker log').toBe(true);
    const total = await waitFor(async () => {
      const sum = { delivered: 0, retry: 0 };
      for (const url of urls) {
        const metrics = parsePrometheusText(await (await fetch(url!)).text());
        for (const result of ['delivered', 'retry'] as const) sum[result] += metrics.value('jobwatch_notification_attempts_total', { channel: 'webhook', result });
      }
      return sum.delivered === 5 ? sum : undefined;
    }, { what: 'five deliveries counted' });
    expect(total).toEqual({ delivered: 5, retry: 15 });
  }, 60_000);

  it('a worker SIGKILLed before and after answering: sent again with the same webhook-id, none lost', async () => {
    const iso = await isolated();
    let current: ReturnType<typeof worker> | undefined;
    const killCurrent = () => current?.kill('SIGKILL');
    // k-before: the worker dies while its POST waits for an answer (never answered);
    // k-after: the receiver answers 200, then the worker dies before it can record that.
    const receiver = await startWebhookReceiver(async (id, before, response) => {
      if (before > 0) return 200;
      if (id === 'k-before') {
        killCurrent();
        return undefined;
      }
      response.once('finish', () => setImmediate(killCurrent));
      return 200;
    });
    cleanups.push(() => receiver.close());
    const env = { JOBWATCH_NOTIFY_URL: receiver.url, JOBWATCH_STATUS_HOOK: HOOK_DONE, JOBWATCH_LOCK_DURATION: '1s' };
    await startEndedMonitors(iso, ['k-before']);
    current = worker(iso, env);
    await exited(current);
    await startEndedMonitors(iso, ['k-after']);
    current = worker(iso, env);
    await exited(current);
    current = worker(iso, env);

    await waitFor(async () => {
      const rows = await Promise.all(['k-before', 'k-after'].map((id) => findNotifications(iso.database.db, id)));
      return rows.every((r) => r[0]?.deliveredAt) ? true : undefined;
    }, { what: 'both delivered after the kills', timeoutMs: 30_000 });
    for (const id of ['k-before', 'k-after']) {
      const seen = receiver.deliveries.filter((d) => d.monitorId === id);
      expect(new Set(seen.map((d) => d.headers['webhook-id']))).toEqual(new Set([`jobwatch:${id}`]));
      expect(seen.every((d) => verifyWebhook(SECRET, d.headers, d.body))).toBe(true);
    }
    // Answered 200 before its worker died: the one repeat a crash may cause, with the same id.
    expect(accepted(receiver.deliveries, 'k-after')).toHaveLength(2);
    expect(accepted(receiver.deliveries, 'k-before')).toHaveLength(1);
  }, 60_000);
});

describe('notifyQueue', () => {
  it('adds one job, id = monitor id, to the named queue, and never again, even after the user worker removed it or a crash lost the marker', async () => {
    const iso = await isolated();
    const userPrefix = `${iso.prefix}-user`;
    worker(iso, { JOBWATCH_STATUS_HOOK: HOOK_DONE, JOBWATCH_NOTIFY_QUEUE_PREFIX: userPrefix });
    const processed: { id?: string; name: string; data: unknown }[] = [];
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const userWorker = new Worker('next-step', async (job) => {
      processed.push({ id: job.id, name: job.name, data: job.data });
    }, { connection, prefix: userPrefix, removeOnComplete: { count: 0 } });
    cleanups.push(async () => {
      await userWorker.close();
      await connection.quit();
    });
    await startEndedMonitors(iso, ['q-1', 'q-2'], { notifyQueue: 'next-step' });
    await waitFor(() => processed.length >= 2, { what: 'two jobs in the user queue' });
    await waitFor(async () => ((await findNotifications(iso.database.db, 'q-2'))[0]?.deliveredAt ? true : undefined), { what: 'q-2 recorded' });

    // As a crash between the add and its record would: the outbox row due again. For q-2, as a
    // crash between the add and its marker would: no marker, so only BullMQ's deduplication key,
    // written with the job, stands between the repeat and a second job.
    await connection.del(`${userPrefix}:next-step:jobwatch-added:q-2`);
    await iso.database.db.execute(sql`update monitor_notifications set delivered_at = null, next_attempt_at = now() where monitor_id in ('q-1', 'q-2')`);
    for (const monitorId of ['q-1', 'q-2']) {
      await waitFor(async () => ((await findNotifications(iso.database.db, monitorId))[0]?.deliveredAt ? true : undefined), { what: `${monitorId} recorded again` });
    }
    // Had the repeat added a job, it would be waiting, active or processed by now.
    const userQueue = new Queue('next-step', { connection, prefix: userPrefix });
    const counts = await userQueue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    await userQueue.close();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    expect(processed.map((job) => job.id).sort()).toEqual(['q-1', 'q-2']);
    expect(processed[0]).toMatchObject({ name: 'monitor.ended', data: { type: 'monitor.ended', outcome: 'completed' } });
  }, 60_000);
});
