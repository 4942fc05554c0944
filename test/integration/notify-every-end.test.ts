import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { request, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { exited, runCli, spawnWorker, testClient } from '../helpers/workers.ts';

// Every way a monitor ends owes its notification to the monitor's own target, through real
// `jobwatch worker` processes: a table of ends × targets. (Pushed ends once lost the monitor's own
// targets and went to the deployment's JOBWATCH_NOTIFY_URL, or nowhere, while their rows were written.)

const SECRET = 'every-end-secret-0123456789';
const NOTIFY_QUEUE = 'ends';
type Target = 'notifyUrl' | 'notifyQueue' | 'deployment';
const TARGETS: readonly Target[] = ['notifyUrl', 'notifyQueue', 'deployment'];

/**
 * One way of ending: how the monitor is watched, and what the test does to end it. The hook's
 * answer is chosen by the job id's first word (see HOOK).
 */
interface End {
  end: string;
  outcome: string;
  jobId: string;
  input?: Record<string, unknown>;
  /** Before the monitor starts (an early push). */
  before?: (monitorId: string) => Promise<void>;
  /** After it started (a late push, a cancel). */
  after?: (monitorId: string) => Promise<void>;
}

let iso: Isolated;
let client: JobwatchClient;
let server: RunningServer;
let own: WebhookReceiver;
let deployment: WebhookReceiver;
let heldHost: Server;
let heldUrl: string;
let hookDir: string;
let redis: Redis;
const workers: ReturnType<typeof spawnWorker>[] = [];

const polled = (monitorId: string) => waitFor(async () => ((await client.getMonitor(monitorId))?.polls ?? 0) >= 1, { what: `${monitorId} polled` });
const ENDS: End[] = [
  { end: 'poll', outcome: 'completed', jobId: 'done' },
  {
    end: 'push-early-api', outcome: 'completed', jobId: 'running',
    before: async (id) => {
      const answer = await request(`${server.url}/api/monitors/${id}/status`, { method: 'POST', body: { status: 'Completed' } });
      expect(answer.status, answer.text).toBe(202);
    },
  },
  {
    end: 'push-late-api', outcome: 'failed', jobId: 'running',
    after: async (id) => {
      await polled(id);
      const answer = await request(`${server.url}/api/monitors/${id}/status`, { method: 'POST', body: { status: 'Failed' } });
      expect(answer.status, answer.text).toBe(200);
    },
  },
  {
    end: 'push-late-cli', outcome: 'failed', jobId: 'running',
    after: async (id) => {
      await polled(id);
      const reported = await runCli(['report', id, 'Failed'], iso.env());
      expect(reported.code, reported.stderr).toBe(0);
    },
  },
  { end: 'cancel', outcome: 'canceled', jobId: 'running', after: async (id) => void (await client.cancelMonitor(id)) },
  { end: 'expiry', outcome: 'expired', jobId: 'running', input: { expireIn: '2s' } },
  { end: 'error', outcome: 'errored', jobId: 'broken' },
  // The host answers 429 with a Retry-After past the expiry: the monitor waits held until it expires.
  { end: 'held-expiry', outcome: 'expired', jobId: 'held', input: { statusHook: undefined, statusUrl: '', expireIn: '8s' } },
];

const HOOK = `export async function getJobStatus(jobId) {
  if (jobId.startsWith('done')) return 'Completed';
  if (jobId.startsWith('broken')) throw new Error('the job service is down');
  return 'Processing';
}
`;

beforeAll(async () => {
  iso = await createIsolation();
  hookDir = mkdtempSync(join(tmpdir(), 'jobwatch-hook-'));
  writeFileSync(join(hookDir, 'hook.mjs'), HOOK);
  own = await startWebhookReceiver(() => 200);
  deployment = await startWebhookReceiver(() => 200);
  heldHost = createServer((_request, response) => response.writeHead(429, { 'retry-after': '3600' }).end());
  await new Promise<void>((resolve) => heldHost.listen(0, '127.0.0.1', resolve));
  heldUrl = `http://127.0.0.1:${(heldHost.address() as AddressInfo).port}/jobs/{jobId}`;
  const env = {
    JOBWATCH_STATUS_HOOK: join(hookDir, 'hook.mjs'), JOBWATCH_NOTIFY_URL: deployment.url, JOBWATCH_NOTIFY_SECRET: SECRET,
    JOBWATCH_NOTIFY_QUEUE_PREFIX: `${iso.prefix}-user`, JOBWATCH_MAX_STATUS_FAILURES: '2', JOBWATCH_RETRY_BASE: '50ms',
  };
  for (let i = 0; i < 2; i++) workers.push(spawnWorker(iso.env(env)));
  client = testClient(iso, env);
  server = await startTestServer(iso, env);
  redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  await server?.close();
  await client?.close();
  for (const child of workers) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited(child);
  }
  await redis.quit();
  await own?.close();
  await deployment?.close();
  await new Promise((resolve) => heldHost?.close(resolve));
  rmSync(hookDir, { recursive: true, force: true });
  await iso?.cleanup();
});

function targetInput(target: Target): Record<string, unknown> {
  if (target === 'notifyUrl') return { notifyUrl: own.url };
  if (target === 'notifyQueue') return { notifyQueue: NOTIFY_QUEUE };
  return {};
}

async function startRow(end: End, target: Target): Promise<string> {
  const monitorId = `${end.end}-${target}`;
  await end.before?.(monitorId);
  const input: Record<string, unknown> = { monitorId, jobId: `${end.jobId}-${target}`, statusHook: true, interval: 100, expireIn: '5m', ...targetInput(target), ...end.input };
  if (input.statusUrl === '') input.statusUrl = heldUrl;
  if (input.statusHook === undefined) delete input.statusHook;
  await client.startMonitor(input as never);
  await end.after?.(monitorId);
  return monitorId;
}

function deliveredTo(receiver: WebhookReceiver, monitorId: string) {
  return receiver.deliveries.filter((d) => d.monitorId === monitorId).map((d) => JSON.parse(d.body) as { outcome: string; detail: unknown });
}

describe('every end notifies the monitor\'s own target', () => {
  it('ends by poll, push (early, late, API, CLI), cancel, expiry, error and held expiry × notifyUrl, notifyQueue and the deployment URL', async () => {
    const rows = ENDS.flatMap((end) => TARGETS.map((target) => ({ end, target })));
    const started = await Promise.all(rows.map(async (row) => ({ ...row, monitorId: await startRow(row.end, row.target) })));
    const userQueue = new Queue(NOTIFY_QUEUE, { connection: redis, prefix: `${iso.prefix}-user` });
    try {
      for (const { end, target, monitorId } of started) {
        const what = `${end.end} × ${target}`;
        const ended = await waitFor(async () => {
          const state = await client.getMonitor(monitorId);
          return state?.state === 'ended' && state.persisted ? state : undefined;
        }, { what: `${what} ended`, timeoutMs: 45_000 });
        expect(ended.outcome, what).toBe(end.outcome);
        if (end.end === 'held-expiry') expect(ended.detail, what).toMatchObject({ heldBy: { reason: 'retry-after' } });

        // The notification is owed: an outbox row for the monitor's own target...
        const owed = (ended.notifications ?? []).map((n) => `${n.channel}:${n.target}`);
        if (target === 'notifyUrl') expect(owed, what).toEqual([`webhook:${own.url}`]);
        if (target === 'notifyQueue') expect(owed.sort(), what).toEqual([`queue:${NOTIFY_QUEUE}`, `webhook:${deployment.url}`].sort());
        if (target === 'deployment') expect(owed, what).toEqual([`webhook:${deployment.url}`]);

        // ...and sent there by a worker, with this end's outcome; never to a receiver it was not meant for.
        if (target === 'notifyUrl') {
          const sent = await waitFor(() => deliveredTo(own, monitorId)[0], { what: `${what} delivered to its own URL` });
          expect(sent.outcome, what).toBe(end.outcome);
          expect(deliveredTo(deployment, monitorId), `${what}: nothing to the deployment URL`).toEqual([]);
        } else if (target === 'notifyQueue') {
          const job = await waitFor(() => userQueue.getJob(monitorId), { what: `${what} added to the user's queue` });
          expect((job.data as { outcome: string }).outcome, what).toBe(end.outcome);
          expect(deliveredTo(own, monitorId), what).toEqual([]);
        } else {
          const sent = await waitFor(() => deliveredTo(deployment, monitorId)[0], { what: `${what} delivered to the deployment URL` });
          expect(sent.outcome, what).toBe(end.outcome);
          expect(deliveredTo(own, monitorId), what).toEqual([]);
        }
      }
    } finally {
      await userQueue.close();
    }
  }, 120_000);
});
