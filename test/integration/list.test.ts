import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import type { MonitorState } from '../../src/client/monitor-state.ts';
import { persistResult } from '../../src/db/results.ts';
import { InvalidInputError } from '../../src/errors/errors.ts';
import type { MonitorResult } from '../../src/monitor/context.ts';
import { toQueueJobId } from '../../src/monitor/queue-job-id.ts';
import { COMPLETION_JOB, openQueues } from '../../src/queue/queues.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { CLI, runCli, testClient } from '../helpers/workers.ts';

// No worker runs in this file: running monitors stay running, and a record added to the
// completions queue stays there, as it does while Postgres is down.
let iso: Isolated;
let client: JobwatchClient;

const RUNNING = ['run-1', 'run-2', 'run-3'];
const T = Date.parse('2026-05-01T12:00:00.000Z');
const result = (monitorId: string, outcome: MonitorResult['outcome'], finishedAt: number): MonitorResult => ({
  monitorId, jobId: `job-${monitorId}`, outcome, jobStatus: outcome === 'completed' ? 'Done' : null, polls: 3,
  startedAt: finishedAt - 60_000, finishedAt, detail: null, metadata: null,
});
// Three with the same finish time, so that pages must meet exactly inside a tie.
const ROWS = [
  result('done-old', 'completed', T - 50_000), result('failed-1', 'failed', T - 40_000), result('tie-a', 'completed', T - 30_000),
  result('tie-B', 'expired', T - 30_000), result('tie-b', 'canceled', T - 30_000), result('err:1', 'errored', T - 20_000),
];
const PENDING = result('waiting-for-pg', 'completed', T - 10_000);

beforeAll(async () => {
  iso = await createIsolation();
  client = testClient(iso);
  for (const id of RUNNING) {
    await client.startMonitor({ jobId: id, statusUrl: 'http://127.0.0.1:9/jobs/{jobId}', interval: '1h' });
    await new Promise((resolve) => setTimeout(resolve, 3)); // distinct start milliseconds
  }
  for (const row of ROWS) await persistResult(iso.database.db, row);
  const redis = createRedis(iso.config().redisUrl);
  const queues = openQueues(redis, iso.prefix);
  // One record waiting in Redis, and one that is in both places (written, its job not yet cleaned up).
  await queues.completions.add(COMPLETION_JOB, PENDING, { jobId: toQueueJobId(PENDING.monitorId) });
  await queues.completions.add(COMPLETION_JOB, ROWS[0]!, { jobId: toQueueJobId(ROWS[0]!.monitorId) });
  await queues.close();
  await redis.quit();
});

afterAll(async () => {
  await client?.close();
  await iso?.cleanup();
});

/** Newest first, ties in reverse id order (bytewise): computed here, independently of the code. */
const EXPECTED_ENDED = [...ROWS, PENDING]
  .sort((a, b) => b.finishedAt - a.finishedAt || (a.monitorId < b.monitorId ? 1 : -1))
  .map((r) => r.monitorId);
const EXPECTED = [...[...RUNNING].reverse(), ...EXPECTED_ENDED];

async function walk(query: { state?: string; limit: number }): Promise<MonitorState[]> {
  const all: MonitorState[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const page = await client.listMonitors({ ...query, ...(cursor ? { cursor } : {}) });
    expect(page.monitors.length).toBeLessThanOrEqual(query.limit);
    all.push(...page.monitors);
    if (!page.nextCursor) return all;
    cursor = page.nextCursor;
  }
  throw new Error('more than 50 pages');
}

describe('listMonitors', () => {
  it('running monitors first (newest start first), then ended ones (newest finish first), each once', async () => {
    const page = await client.listMonitors();
    expect(page.nextCursor).toBeNull();
    expect(page.monitors.map((m) => m.monitorId)).toEqual(EXPECTED);
    expect(page.monitors.slice(0, 3).every((m) => m.state === 'scheduled')).toBe(true);
    expect(page.monitors.find((m) => m.monitorId === 'waiting-for-pg')).toMatchObject({ state: 'ended', outcome: 'completed', persisted: false });
    expect(page.monitors.find((m) => m.monitorId === 'done-old')).toMatchObject({ state: 'ended', persisted: true });
  });

  it.each([1, 2, 3, 4])('pages of %i, followed by cursor, give the same list with no gap or repeat', async (limit) => {
    expect((await walk({ limit })).map((m) => m.monitorId)).toEqual(EXPECTED);
  });

  it.each([
    ['running', RUNNING.slice().reverse()],
    ['completed', EXPECTED_ENDED.filter((id) => ['done-old', 'tie-a', 'waiting-for-pg'].includes(id))],
    ['failed', ['failed-1']],
    ['expired', ['tie-B']],
    ['canceled', ['tie-b']],
    ['errored', ['err:1']],
  ])('state=%s filters, across pages too', async (state, ids) => {
    expect((await client.listMonitors({ state })).monitors.map((m) => m.monitorId)).toEqual(ids);
    expect((await walk({ state, limit: 1 })).map((m) => m.monitorId)).toEqual(ids);
  });

  it.each([
    [{ state: 'done' }, 'state'],
    [{ limit: 0 }, 'limit'],
    [{ limit: 1_001 }, 'limit'],
    [{ limit: 2.5 }, 'limit'],
    [{ cursor: 'not-a-cursor' }, 'cursor'],
    [{ cursor: Buffer.from('["sideways",1,"x"]').toString('base64url') }, 'cursor'],
  ])('rejects %j with InvalidInputError naming %s', async (query, field) => {
    const error = await client.listMonitors(query).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(field);
  });
});

describe('jobwatch list', () => {
  it('prints one JSON line per monitor when stdout is not a terminal, and the next page hint on stderr', async () => {
    const all = await runCli(['list'], iso.env());
    expect(all.code).toBe(0);
    expect(all.stderr).toBe('');
    expect(all.stdout.trim().split('\n').map((line) => JSON.parse(line).monitorId)).toEqual(EXPECTED);

    const first = await runCli(['list', '--state', 'completed', '--limit', '2'], iso.env());
    expect(first.stdout.trim().split('\n')).toHaveLength(2);
    const hint = /^more: jobwatch list --cursor (\S+) --state completed$/.exec(first.stderr.trim());
    expect(hint).not.toBeNull();
    const rest = await runCli(['list', '--state', 'completed', '--cursor', hint![1]!], iso.env());
    const ids = [...first.stdout.trim().split('\n'), ...rest.stdout.trim().split('\n')].map((line) => JSON.parse(line).monitorId);
    expect(ids).toEqual(['waiting-for-pg', 'tie-a', 'done-old']);
  });

  it.each([
    [['--state', 'done'], /^jobwatch: --state: must be one of running, completed, failed, canceled, expired, errored$/],
    [['--limit', 'lots'], /^jobwatch: --limit: must be a whole number$/],
    [['--cursor', 'xyz'], /^jobwatch: --cursor: is not a cursor from a previous page/],
  ])('%j: one line naming the flag, exit code 2', async (args, message) => {
    const result = await runCli(['list', ...args], iso.env());
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(message);
  });

  it('prints a table on a terminal', async () => {
    // `script` gives the command a real pseudo-terminal, as a person's shell would.
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qec', `${process.execPath} ${CLI} list --limit 4`, '/dev/null'], {
        env: { PATH: process.env.PATH, TERM: 'dumb', ...iso.env() }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (chunk) => (text += chunk));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
    });
    const lines = output.replace(/\r/g, '').trim().split('\n');
    expect(lines[0]).toMatch(/^MONITOR\s+JOB\s+STATE\s+POLLS\s+LAST STATUS\s+STARTED\s+NEXT POLL \/ FINISHED$/);
    expect(lines.slice(1, 5).map((line) => line.split(/\s+/)[0])).toEqual(EXPECTED.slice(0, 4));
    expect(lines[1]).toMatch(/^run-3\s+run-3\s+scheduled\s+0\s+-\s+\d{4}-/);
    expect(lines[4]).toMatch(/^waiting-for-pg\s+job-waiting-for-pg\s+completed \(unsaved\)\s+3\s+Done\s+/);
    expect(lines[5]).toMatch(/^more: jobwatch list --cursor \S+$/);
  });
});
