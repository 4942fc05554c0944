import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSourcesFile, type SourcesFile } from '../helpers/sources-file.ts';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import { listChecks } from '../../src/db/checks.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type ScriptedAnswer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, runCli, spawnWorker, testClient } from '../helpers/workers.ts';

// Poll history end to end: a `jobwatch worker` process polls a scripted status server; the rows in
// monitor_checks are compared with what the server answered, call by call.

let iso: Isolated;
let server: StatusServer;
let client: JobwatchClient;
let worker: ReturnType<typeof spawnWorker>;
/** A sources file with one source, `scripted`: the status server read by a mapping. */
let sourcesEnv: { JOBWATCH_SOURCES: string };

const SCRIPT: ScriptedAnswer[] = [
  { status: 'Queued' }, { status: 'Processing' }, { status: 'Processing' }, { code: 503 }, { status: 'Processing' }, { status: 'Completed' },
];

let sourcesFile: SourcesFile | undefined;

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
  sourcesFile = writeSourcesFile({ scripted: { url: server.template, statusPath: 'status' } });
  sourcesEnv = { JOBWATCH_SOURCES: sourcesFile.path };
  // The deployment's default is `changes`; monitors below override it.
  worker = spawnWorker(iso.env({ JOBWATCH_RETRY_BASE: '50ms', ...sourcesEnv }));
  client = testClient(iso, sourcesEnv);
});

afterAll(async () => {
  sourcesFile?.remove();
  await client?.close();
  if (worker) {
    worker.kill('SIGTERM');
    await exited(worker);
  }
  await server?.close();
  await iso?.cleanup();
});

async function runToEnd(jobId: string, history?: 'off' | 'changes' | 'all', via: 'library' | 'cli' | 'source' = 'library') {
  server.script(jobId, SCRIPT);
  if (via === 'cli') {
    const started = await runCli(['enqueue', '--job-id', jobId, '--status-url', server.template, '--interval', '100ms', ...(history ? ['--history', history] : [])], iso.env());
    expect(started.code).toBe(0);
  } else {
    const status = via === 'source' ? { source: 'scripted' } : { statusUrl: server.template };
    await client.startMonitor({ jobId, ...status, interval: 100, ...(history ? { history } : {}) });
  }
  await waitFor(() => findResult(iso.database.db, jobId), { what: `result of ${jobId}` });
  // Rows are written within a flush interval of the check; the last one (the end) closes the history.
  return waitFor(async () => {
    const rows = await listChecks(iso.database.db, jobId);
    return history === 'off' || rows.at(-1)?.result === 'terminal' ? rows : undefined;
  }, { what: `history of ${jobId}` });
}

/** What the status server answered at call `seq` (from 1): the script, its last answer repeated. */
function answered(seq: number): ScriptedAnswer {
  return SCRIPT[Math.min(seq - 1, SCRIPT.length - 1)]!;
}

describe('poll history', () => {
  it('all: one row per status call, in order, matching what the status server answered', async () => {
    const rows = await runToEnd('hist-all', 'all');
    expect(rows).toHaveLength(server.calls('hist-all'));
    for (const row of rows) {
      const answer = answered(row.seq);
      if (answer.code === 503) {
        expect(row).toMatchObject({ result: 'failed', status: null, reason: 'http-status', httpStatus: 503, via: 'poll' });
      } else {
        expect(row).toMatchObject({ status: answer.status, httpStatus: 200, via: 'poll' });
      }
      expect(row.source).toBeNull();
      expect(row.latencyMs).toBeGreaterThanOrEqual(0);
      expect(row.lateMs).toBeGreaterThanOrEqual(0);
    }
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows.map((row) => row.result)).toEqual(['running', 'running', 'running', 'failed', 'running', 'terminal']);
  });

  it('changes (the default): the first check, each change of status, each failed check and the end', async () => {
    const rows = await runToEnd('hist-changes');
    expect(server.calls('hist-changes')).toBe(6);
    // Call 3 repeats Processing, and call 5 repeats the status read before the failed call 4.
    expect(rows.map((row) => [row.seq, row.status ?? row.reason])).toEqual([[1, 'Queued'], [2, 'Processing'], [4, 'http-status'], [6, 'Completed']]);
  });

  it('off (here through jobwatch enqueue --history off): no rows, and the final record as always', async () => {
    expect(await runToEnd('hist-off', 'off', 'cli')).toEqual([]);
    // A monitor with history, ended after it, shows the writer has flushed what hist-off would have written.
    expect(await runToEnd('hist-after-off', 'all')).toHaveLength(6);
    expect(await listChecks(iso.database.db, 'hist-off')).toEqual([]);
  });

  it("a source monitor's rows name the source they were read through; jobwatch history prints it", async () => {
    const rows = await runToEnd('hist-source', 'all', 'source');
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows.map((row) => row.source)).toEqual(Array(6).fill('scripted'));
    // The rate key stays in status_host: the source's name, as the gate keys its requests.
    expect(new Set(rows.map((row) => row.statusHost))).toEqual(new Set(['scripted']));
    const printed = await runCli(['history', 'hist-source', '--limit', '2'], iso.env(sourcesEnv));
    expect(printed.stdout.trim().split('\n').map((line) => JSON.parse(line))).toMatchObject([{ seq: 1, via: 'poll', source: 'scripted' }, { seq: 2, source: 'scripted' }]);
  });

  it('jobwatch history ID: one JSON line per check when not on a terminal; exit 1 for an unknown monitor', async () => {
    const printed = await runCli(['history', 'hist-all', '--limit', '4'], iso.env());
    // Its one line says why, should it fail (it exited 1 once in CI, which printed no more).
    expect(printed.code, printed.stderr).toBe(0);
    const lines = printed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { seq: number });
    expect(lines.map((line) => line.seq)).toEqual([1, 2, 3, 4]);
    expect(printed.stderr).toContain('more: jobwatch history hist-all --cursor 4');
    const next = await runCli(['history', 'hist-all', '--cursor', '4'], iso.env());
    expect(next.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([5, 6]);

    const bad = await runCli(['enqueue', '--job-id', 'x', '--status-hook', '--history', 'some'], iso.env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--history: must be one of off, changes, all');

    const unknown = await runCli(['history', 'nobody'], iso.env());
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no monitor with id nobody');
  });
});

describe('pushed statuses in the history', () => {
  it('a running push and the push that ends the monitor are rows via push, numbered after the polls', async () => {
    server.script('hist-push', [{ status: 'Processing' }]);
    // A long interval: after its first poll, only the pushes below add checks.
    await client.startMonitor({ jobId: 'hist-push', statusUrl: server.template, interval: '1h', history: 'all' });
    await waitFor(async () => (await listChecks(iso.database.db, 'hist-push')).length === 1, { what: 'the first poll of hist-push' });

    expect(await client.reportStatus('hist-push', { status: 'Running' })).toMatchObject({ accepted: true, lastStatus: 'Running' });
    expect(await client.reportStatus('hist-push', { status: 'Completed' })).toMatchObject({ accepted: true, outcome: 'completed' });
    expect(await client.reportStatus('hist-push', { status: 'Failed' })).toMatchObject({ accepted: false, outcome: 'completed' });

    const rows = await listChecks(iso.database.db, 'hist-push');
    expect(rows.map(({ seq, status, result, via }) => ({ seq, status, result, via }))).toEqual([
      { seq: 1, status: 'Processing', result: 'running', via: 'poll' },
      { seq: 2, status: 'Running', result: 'running', via: 'push' },
      { seq: 3, status: 'Completed', result: 'terminal', via: 'push' },
    ]);
    expect(server.calls('hist-push')).toBe(1);
  });
});
