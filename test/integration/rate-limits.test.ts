import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import type { RunningMonitorState } from '../../src/client/monitor-state.ts';
import { gateKeysOf } from '../../src/gate/gate-keys.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';
import { watchLoopStalls } from '../helpers/loop-stalls.ts';
import { rowsById } from '../helpers/results.ts';
import { countsPerWindow, maxInTrustedWindows } from '../helpers/arrival-windows.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor, waitForCount } from '../helpers/wait.ts';
import { exited, runCli, spawnWorker, testClient } from '../helpers/workers.ts';

// Per-key rate limits, host-wide Retry-After holds and circuits, through real `jobwatch worker`
// processes sharing one Redis, against real status servers (each its own host:port, so its own key).
// The Redis is the test's own, at `hz 100` as README "Scaling" recommends: a poll held to its slot is
// woken within ~10 ms of it, not on the 100 ms ticks of the default `hz 10`.

let iso: Isolated;
let redis: PrivateRedis;
let env: Record<string, string>;
let client: JobwatchClient;
const servers: StatusServer[] = [];
let workers: ReturnType<typeof spawnWorker>[] = [];

beforeAll(async () => {
  redis = await startPrivateRedis(['--hz', '100', '--maxmemory-policy', 'noeviction']);
  iso = await createIsolation();
  env = { REDIS_URL: redis.url };
  client = testClient(iso, env);
});

afterEach(async () => {
  for (const worker of workers) worker.kill('SIGTERM');
  const codes = await Promise.all(workers.map(exited));
  workers = [];
  expect(codes.every((code) => code === 0)).toBe(true);
});

afterAll(async () => {
  await client?.close();
  for (const server of servers) await server.close();
  await iso?.cleanup();
  await redis?.stop();
});

async function statusServer(): Promise<StatusServer & { key: string }> {
  const server = await startStatusServer();
  servers.push(server);
  return Object.assign(server, { key: new URL(server.url).host });
}

async function startWorkers(count: number, extra: Record<string, string>): Promise<void> {
  workers = Array.from({ length: count }, () => spawnWorker(iso.env({ LOG_LEVEL: 'info', ...env, ...extra }), ['--concurrency', '30']));
  await waitFor(() => workers.every((worker) => worker.output().includes('"msg":"worker started"')), { what: 'the workers to start', timeoutMs: 30_000 });
}

const running = async (monitorId: string) => (await client.getMonitor(monitorId)) as RunningMonitorState | null;

/** The first line the workers logged with this message, parsed: its `time` is when (epoch ms). */
function workerLog(message: string): { time: number; msg: string } | undefined {
  // Whole lines only: the last may still be on its way.
  const lines = workers.flatMap((worker) => worker.output().split('\n').slice(0, -1)).filter((line) => line.startsWith('{'));
  return lines.map((line) => JSON.parse(line) as { time: number; msg: string }).find((entry) => entry.msg.startsWith(message));
}

/** When the open circuit of a rate key lets its next probe go (epoch ms, Redis's clock), as the gate keeps it. */
async function nextProbeAt(key: string): Promise<number> {
  const connection = new Redis(redis.url);
  try {
    const value = await connection.get(gateKeysOf(iso.prefix, key).open);
    expect(value, `the open circuit of ${key}`).not.toBeNull();
    return Number(value);
  } finally {
    await connection.quit();
  }
}

/**
 * Progress, not the clock: waits until `server` has had `warmUp` + `measure` requests, and judges
 * the `measure` after the warm-up, every arrival starting a 1-s window of its own. This process is
 * the host, and stamps a request when its loop gets to it: what comes while the loop stalls (the
 * process descheduled on a busy machine) is stamped together at the stall's end, closer than it
 * came. The windows holding such stamps are the host's doing and are left out; most are left to judge.
 */
async function slidingWindows(server: StatusServer, warmUp: number, measure: number): Promise<{ measured: readonly number[]; most: number }> {
  const stalls = watchLoopStalls();
  try {
    await waitForCount(() => server.totalCalls(), warmUp + measure, { what: 'requests to the limited host', timeoutMs: 120_000 });
  } finally {
    stalls.stop();
  }
  const measured = server.callTimes().slice(warmUp, warmUp + measure);
  const { most, judged } = maxInTrustedWindows(measured, 1_000, (time) => !stalls.blurred(time));
  expect(judged, 'windows not blurred by stalls of this process').toBeGreaterThanOrEqual(measure / 2);
  return { measured, most };
}

const gapsOf = (times: readonly number[]) => times.slice(1).map((time, i) => time - times[i]!);
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

describe('per-key rate limits across 3 worker processes', () => {
  it('keep a host within 10% of its limit in every 1-s window over 30 s, and a second host with its own limit is not slowed', async () => {
    const limited = await statusServer();
    const other = await statusServer();
    const LIMIT = 40;
    await startWorkers(3, { JOBWATCH_RATE_LIMITS: `${limited.key}=${LIMIT}/s,${other.key}=200/s` });
    // 240 monitors polling every second want 240 requests/s of a host that allows 40.
    const limitedIds = Array.from({ length: 240 }, (_, i) => `limited-${i}`);
    const otherIds = Array.from({ length: 20 }, (_, i) => `other-${i}`);
    for (const id of limitedIds) limited.script(id, [{ status: 'Processing' }]);
    for (const id of otherIds) other.script(id, [{ status: 'Processing' }]);
    await client.startMonitors([
      ...limitedIds.map((jobId) => ({ jobId, statusUrl: limited.template, interval: '1s', expireIn: '2m' })),
      ...otherIds.map((jobId) => ({ jobId, statusUrl: other.template, interval: '1s', expireIn: '2m', jitter: 0 })),
    ]);
    // Progress, not the clock: the first 240 requests are the fleet's start (three processes warming
    // up on a small machine, every monitor due at once, polls late on their slots, so under the
    // limit); the next 30 s worth at the limit are measured, over the windows they actually took.
    const MEASURED = LIMIT * 30;
    const { measured, most } = await slidingWindows(limited, limitedIds.length, MEASURED);
    const [from, to] = [measured[0]!, measured.at(-1)!];
    expect(most, `most requests in a sliding 1-s window (limit ${LIMIT}/s)`).toBeLessThanOrEqual(LIMIT * 1.1);
    expect(most).toBeGreaterThanOrEqual(LIMIT * 0.9);
    expect(MEASURED / ((to - from) / 1_000), 'requests per second over the measured span').toBeLessThanOrEqual(LIMIT * 1.02);
    // And the limit is used, not only respected: close to it in most of the seconds observed (the
    // median, not the mean: a second in which the machine stalled is not the limiter's doing).
    const perSecond = countsPerWindow(measured, 1_000);
    expect(median(perSecond), `requests in each second: ${perSecond.join(' ')}`).toBeGreaterThanOrEqual(LIMIT * 0.75);

    // The other host's monitors polled every second meanwhile, as if the first host did not exist
    // (sharing its 40/s, each would wait about 6 s between polls).
    const otherGaps = otherIds.flatMap((id) => gapsOf(other.callTimes(id).filter((time) => time >= from && time <= to)));
    expect(otherGaps.length).toBeGreaterThanOrEqual(otherIds.length * 10);
    expect(median(otherGaps), 'the other host\'s median gap between polls (ms)').toBeLessThanOrEqual(1_200);

    // What a user sees: the held monitor says so.
    const held = await waitFor(async () => {
      const state = await running('limited-7');
      return state?.held ? state : undefined;
    }, { what: 'limited-7 to show its hold' });
    expect(held.held).toMatch(new RegExp(`^${limited.key.replaceAll('.', '\\.')} rate limit until \\d{4}-`));
    expect(held.hold).toMatchObject({ key: limited.key, reason: 'rate-limit' });
    expect(held.lastError).toBeNull();
    // The CLI, a process of its own, reads it too; the hold may have ended while it started, and
    // the monitor is held again soon (240 monitors share 40 requests a second).
    const printed = await waitFor(async () => {
      const state = JSON.parse((await runCli(['status', 'limited-7'], iso.env(env))).stdout);
      return state.hold ? state : undefined;
    }, { what: '`jobwatch status limited-7` to show its hold', timeoutMs: 30_000 });
    expect(printed).toHaveProperty('hold.reason', 'rate-limit');
    expect(printed.held).toMatch(/ rate limit until /);
    // Holds spend nothing of a monitor's checks: every poll counted was a request.
    const states = await Promise.all(limitedIds.slice(0, 20).map(running));
    for (const state of states) expect(state!.polls).toBeLessThanOrEqual(limited.calls(state!.jobId!));
    await Promise.all([...limitedIds, ...otherIds].map((id) => client.cancelMonitor(id)));
  }, 180_000);
});

describe('a limit under heavy oversubscription, 3 worker processes', () => {
  it('keeps every sliding 1-s window of arrivals within 10% of the limit: 300 monitors every 100 ms (3,000 requests/s wanted) against 20/s', async () => {
    const server = await statusServer();
    const LIMIT = 20;
    await startWorkers(3, { JOBWATCH_RATE_LIMITS: `${server.key}=${LIMIT}/s` });
    const ids = Array.from({ length: 300 }, (_, i) => `crowd-${i}`);
    for (const id of ids) server.script(id, [{ status: 'Processing' }]);
    await client.startMonitors(ids.map((jobId) => ({ jobId, statusUrl: server.template, interval: 100, expireIn: '3m' })));
    // 5 s worth of requests at the limit is the fleet's start (every monitor due at once); the next
    // 30 s worth are measured.
    const { measured, most } = await slidingWindows(server, LIMIT * 5, LIMIT * 30);
    expect(most, `most requests in a sliding 1-s window (limit ${LIMIT}/s; in each second: ${countsPerWindow(measured, 1_000).join(' ')})`)
      .toBeLessThanOrEqual(LIMIT * 1.1);
    await Promise.all(ids.map((id) => client.cancelMonitor(id)));
  }, 180_000);
});

describe('Retry-After holds the whole host', () => {
  it('a 429 with Retry-After stops every monitor of the host, in every worker, until then; the answer counts as no check', async () => {
    const server = await statusServer();
    const bystander = await statusServer();
    await startWorkers(3, {});
    const ids = Array.from({ length: 20 }, (_, i) => `ra-${i}`);
    for (const id of ids) server.script(id, [{ status: 'Processing' }]);
    bystander.script('bystander', [{ status: 'Processing' }]);
    server.script('busy', [{ status: 'Processing' }, { status: 'Processing' }, { code: 429, headers: { 'retry-after': '3' }, body: {} }, { status: 'Processing' }]);
    let heldAt: number | undefined;
    server.onCall(() => {
      if (heldAt === undefined && server.calls('busy') === 3) heldAt = Date.now();
    });
    await client.startMonitors([...ids, 'busy'].map((jobId) => ({ jobId, statusUrl: server.template, interval: 200 })));
    await client.startMonitor({ jobId: 'bystander', statusUrl: bystander.template, interval: 200 });
    const t = await waitFor(() => heldAt, { what: 'the 429', timeoutMs: 20_000 });
    // When the hold was in force: the worker that got the 429 says so once it has recorded it.
    const recorded = await waitFor(() => workerLog('host asked to wait (Retry-After)'), { what: 'the hold recorded' });
    // Watch the whole hold (Retry-After: 3, from the 429 on) and the polls after it, by progress.
    const holdEnd = t + 3_000;
    const after = () => server.callTimes().filter((time) => time >= holdEnd).length;
    await waitForCount(after, 21, { what: 'polls of the host after the hold', timeoutMs: 30_000 });
    await waitFor(() => bystander.callTimes().some((time) => time >= holdEnd), { what: 'a poll of the bystander after the hold' });

    // Once recorded, the hold stops every monitor of the host, in every worker: at most the one
    // request each had already let through lands later (without the hold: about 15 each).
    for (const id of [...ids, 'busy']) {
      const held = server.callTimes(id).filter((time) => time > recorded.time && time < holdEnd);
      expect(held.length, `${id}'s polls during the hold`).toBeLessThanOrEqual(1);
    }
    // The other host was polled all along.
    expect(bystander.callTimes().filter((time) => time > t && time < holdEnd).length).toBeGreaterThan(2);
    const logs = workers.map((worker) => worker.output()).join('');
    expect(logs.match(/host asked to wait \(Retry-After\)/g)).toHaveLength(1);

    for (const id of [...ids, 'busy']) server.script(id, [{ status: 'Completed' }]);
    bystander.script('bystander', [{ status: 'Completed' }]);
    const rows = await waitFor(async () => {
      const all = await rowsById(iso);
      return [...ids, 'busy', 'bystander'].every((id) => all.has(id)) ? all : undefined;
    }, { what: 'every row', timeoutMs: 30_000 });
    for (const id of [...ids, 'busy']) {
      const row = rows.get(id)!;
      expect(row.outcome).toBe('completed');
      // The 429 was a hold, not a failed check: it is not among the polls.
      expect(row.polls, id).toBe(server.calls(id) - (id === 'busy' ? 1 : 0));
    }
  }, 90_000);
});

const PROBE_EVERY_MS = 1_000;

describe('circuits', () => {
  it('open after a run of failures across monitors, let one probe through per interval, close on a good answer; held monitors burn no budget and end expired at expiry', async () => {
    const server = await statusServer();
    await startWorkers(3, {
      JOBWATCH_HOST_FAILURES: '5', JOBWATCH_HOST_PROBE_EVERY: `${PROBE_EVERY_MS}ms`, JOBWATCH_MAX_STATUS_FAILURES: '3',
      JOBWATCH_RETRY_BASE: '50ms', JOBWATCH_RETRY_MAX: '100ms',
    });
    const ids = Array.from({ length: 10 }, (_, i) => `down-${i}`);
    for (const id of [...ids, 'expiring']) server.script(id, [{ code: 502, body: {} }]);
    const circuitOpened = () => workers.some((worker) => worker.output().includes('"msg":"circuit opened'));
    await client.startMonitors(ids.map((jobId) => ({ jobId, statusUrl: server.template, interval: 200 })));
    await client.startMonitor({ jobId: 'expiring', statusUrl: server.template, interval: 200, expireIn: '6s' });
    await waitFor(circuitOpened, { what: 'the circuit to open' });
    // While open: one probe per interval (each probe one request of one monitor), not 11 monitors
    // x 5/s. The gate keeps when the next probe may go: requests that land before it were let
    // through before the circuit opened. Judged on the probes that happened, however late.
    const firstProbeAt = await nextProbeAt(server.key);
    const probes = () => server.callTimes().filter((time) => time >= Math.floor(firstProbeAt));
    await waitForCount(() => probes().length, 5, { what: 'probes of the open circuit', timeoutMs: 30_000 });
    const gaps = gapsOf(probes().slice(0, 5));
    for (const gap of gaps) expect(gap, `gaps between probes: ${gaps.join(' ')} ms`).toBeGreaterThanOrEqual(PROBE_EVERY_MS / 2);
    expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeGreaterThanOrEqual(PROBE_EVERY_MS * 0.9);
    // Nobody ended errored, though each monitor's budget is 3 and the host failed all along.
    const early = [...(await rowsById(iso)).values()].filter((row) => ids.includes(row.monitorId));
    expect(early).toEqual([]);
    const state = await running('down-3');
    expect(state?.held ?? '').toMatch(new RegExp(`^${server.key.replaceAll('.', '\\.')} circuit open until `));

    // The monitor that expires while held ends expired, not errored.
    const rowsAfterExpiry = await waitFor(async () => {
      const rows = await rowsById(iso);
      return rows.has('expiring') ? rows : undefined;
    }, { what: 'the expiring monitor', timeoutMs: 10_000 });
    expect(rowsAfterExpiry.get('expiring')).toMatchObject({ outcome: 'expired' });
    expect(rowsAfterExpiry.get('expiring')!.detail).toMatchObject({ heldBy: { key: server.key, reason: 'circuit-open' } });

    // The host comes back: the next probe closes the circuit and every monitor reads its status.
    for (const id of ids) server.script(id, [{ status: 'Completed' }]);
    const rows = await waitFor(async () => {
      const all = await rowsById(iso);
      return ids.every((id) => all.has(id)) ? all : undefined;
    }, { what: 'every row after the circuit closed', timeoutMs: 20_000 });
    for (const id of ids) expect(rows.get(id)!.outcome).toBe('completed');
    const logs = workers.map((worker) => worker.output()).join('');
    expect(logs.match(/"msg":"circuit opened/g)).toHaveLength(1);
    expect(logs.match(/"msg":"circuit closed/g)).toHaveLength(1);
  }, 90_000);
});
