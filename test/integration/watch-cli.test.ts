import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { listChecks } from '../../src/db/checks.ts';
import type { Isolated } from '../helpers/isolation.ts';
import type { StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, runCli, spawnCli, startPolledSetup, type PolledSetup } from '../helpers/workers.ts';

// `jobwatch watch` and `jobwatch top` as a user runs them (the compiled CLI, not a terminal), against
// a `jobwatch worker` process polling a scripted status server. A watched job runs (Processing, the
// last answer repeated) until the test has seen the watch print its checks, then is scripted to end:
// the watch follows it by progress, however fast the machine.

let setup: PolledSetup;
let iso: Isolated;
let server: StatusServer;
let client: JobwatchClient;

beforeAll(async () => {
  setup = await startPolledSetup({ JOBWATCH_RETRY_BASE: '50ms' });
  ({ iso, server, client } = setup);
});

afterAll(() => setup?.close());

/** A monitor whose job runs until the test scripts its end. */
async function startRunning(jobId: string, options: { history?: 'off' | 'changes' | 'all'; interval?: string } = {}) {
  server.script(jobId, [{ status: 'Queued' }, { status: 'Processing' }]);
  await client.startMonitor({ jobId, statusUrl: server.template, interval: options.interval ?? '100ms', expireIn: '10m', ...(options.history ? { history: options.history } : {}) });
}

function watch(monitorId: string, args: string[] = []) {
  return spawnCli(['watch', monitorId, '--every', '100ms', ...args], iso.env());
}

/** The check rows of a text watch: seq, result and status, in the order printed. */
function checkRows(stdout: string): { seq: number; result: string; status: string }[] {
  return [...stdout.matchAll(/^(\d+)\s+\d{4}-\S+\s+(running|terminal|failed)\s+(\S+)/gm)].map(([, seq, result, status]) => ({ seq: Number(seq), result: result!, status: status! }));
}

function jsonLines(stdout: string): { event: string; [key: string]: unknown }[] {
  return stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

describe('jobwatch watch', () => {
  it('prints each check once, in order, as it happens, then the final record; exits 0 when completed', async () => {
    await startRunning('w-done', { history: 'all' });
    const watching = watch('w-done');
    await waitFor(() => checkRows(watching.stdoutText()).length >= 3, { what: 'three checks printed while the job runs' });
    server.script('w-done', [{ status: 'Completed' }]);
    expect(await exited(watching)).toBe(0);

    const printed = checkRows(watching.stdoutText());
    const rows = await listChecks(iso.database.db, 'w-done');
    expect(printed).toEqual(rows.map((row) => ({ seq: row.seq, result: row.result, status: row.status })));
    expect(printed.map((row) => row.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(printed.at(-1)).toMatchObject({ result: 'terminal', status: 'Completed' });
    expect(watching.stdoutText()).toMatch(/^watching w-done \(job w-done\): /);
    expect(watching.stdoutText()).toContain('w-done ended completed (exit 0)');
    // Not a terminal: plain lines, no spinner, no escapes.
    expect(watching.output()).not.toMatch(/\x1b|\r|⠋/);
    expect(watching.stderrText()).toBe('');

    // Once ended, a watch prints the same history and the record at once.
    const again = await runCli(['watch', 'w-done'], iso.env());
    expect(again.code).toBe(0);
    expect(checkRows(again.stdout)).toEqual(printed);
  });

  it('--json: one parseable line per event, the checks in order; a failed job exits 3', async () => {
    await startRunning('w-fail', { history: 'all' });
    const watching = watch('w-fail', ['--json']);
    await waitFor(() => jsonLines(watching.stdoutText()).filter((line) => line.event === 'check').length >= 2, { what: 'two check lines' });
    server.script('w-fail', [{ status: 'Failed' }]);
    expect(await exited(watching)).toBe(3);

    const lines = jsonLines(watching.stdoutText());
    expect(lines[0]).toMatchObject({ event: 'start', monitor: { monitorId: 'w-fail' } });
    expect(lines.at(-1)).toMatchObject({ event: 'end', exitCode: 3, monitor: { state: 'ended', outcome: 'failed', jobStatus: 'Failed' } });
    const seqs = lines.filter((line) => line.event === 'check').map((line) => (line.check as { seq: number }).seq);
    expect(seqs).toEqual((await listChecks(iso.database.db, 'w-fail')).map((row) => row.seq));
  });

  it('a canceled monitor exits 4', async () => {
    await startRunning('w-cancel');
    const watching = watch('w-cancel');
    await waitFor(() => checkRows(watching.stdoutText()).length >= 1, { what: 'a check printed' });
    await client.cancelMonitor('w-cancel');
    expect(await exited(watching)).toBe(4);
    expect(watching.stdoutText()).toContain('w-cancel ended canceled (exit 4)');
  });

  it('an expired monitor exits 5', async () => {
    server.script('w-expire', [{ status: 'Processing' }]);
    await client.startMonitor({ jobId: 'w-expire', statusUrl: server.template, interval: '100ms', expireIn: '1s' });
    const watched = await runCli(['watch', 'w-expire', '--every', '100ms'], iso.env());
    expect(watched.code).toBe(5);
    expect(watched.stdout).toContain('w-expire ended expired (exit 5)');
  });

  it('a monitor that keeps no history: each change of its polls and last status, then its end', async () => {
    await startRunning('w-off', { history: 'off' });
    const watching = watch('w-off');
    const progress = () => watching.stdoutText().split('\n').filter((line) => /^\d\d:\d\d:\d\d {2}\d+ polls? {2}/.test(line));
    await waitFor(() => progress().length >= 3, { what: 'three progress lines' });
    server.script('w-off', [{ status: 'Completed' }]);
    expect(await exited(watching)).toBe(0);
    const polls = progress().map((line) => Number(/ (\d+) polls?/.exec(line)![1]));
    expect(polls).toEqual([...polls].sort((a, b) => a - b));
    expect(new Set(polls).size).toBe(polls.length);
    expect(watching.stdoutText()).not.toContain('SEQ');
  });

  it('--timeout: stops waiting with exit 7; Ctrl-C: exits 130 without a stack', async () => {
    await startRunning('w-slow', { interval: '1m' });
    const timedOut = await runCli(['watch', 'w-slow', '--timeout', '1s'], iso.env());
    expect(timedOut.code).toBe(7);
    expect(timedOut.stdout).toMatch(/stopped waiting \(--timeout\): w-slow is still (scheduled|polling)/);

    const watching = watch('w-slow');
    await waitFor(() => watching.stdoutText().startsWith('watching w-slow'), { what: 'the watch to start' });
    watching.kill('SIGINT');
    expect(await exited(watching)).toBe(130);
    expect(watching.stderrText()).toBe('');
  });

  it.each([
    [['watch', 'no-such-monitor'], 8, 'jobwatch: no monitor with id no-such-monitor'],
    [['watch'], 2, 'jobwatch: MONITOR_ID: is required: jobwatch watch MONITOR_ID'],
    [['watch', 'x', '--every', '5'], 2, 'jobwatch: --every: "5" is not a duration, e.g. 500ms, 30s, 5m'],
    [['watch', 'x', '--timeout', '10ms'], 2, 'jobwatch: --timeout: 10ms is out of range; use 1s to 30d'],
  ])('%j: exit %i and one line', async (args, code, line) => {
    const result = await runCli(args, iso.env());
    expect(result).toMatchObject({ code, stdout: '', stderr: `${line}\n` });
  });
});

describe('jobwatch top', () => {
  it('--once prints the running monitors and the ends of the last hour by outcome', async () => {
    await startRunning('top-running', { interval: '1m' });
    await waitFor(async () => (await client.getMonitor('top-running'))?.polls === 1 || undefined, { what: 'its first poll' });
    // The records of the monitors watched above are written, so that the count holds still.
    for (const id of ['w-done', 'w-fail', 'w-cancel', 'w-expire', 'w-off']) {
      await waitFor(async () => {
        const state = await client.getMonitor(id);
        return state?.state === 'ended' && state.persisted;
      }, { what: `the record of ${id}` });
    }
    const ends = await client.countEnds(new Date(Date.now() - 3_600_000));
    const top = await runCli(['top', '--once'], iso.env());
    expect(top.code).toBe(0);
    expect(top.stdout).toContain(`ended in the last hour: completed ${ends.completed}  failed ${ends.failed}  canceled ${ends.canceled}  expired ${ends.expired}  errored ${ends.errored}`);
    expect(top.stdout).toMatch(/^top-running\s+top-running\s+scheduled\s+1\s+Queued\s+\d\d:\d\d:\d\d \(in /m);
    expect(top.stdout).not.toMatch(/\x1b/);

    const json = JSON.parse((await runCli(['top', '--json'], iso.env())).stdout);
    expect(json.endedLastHour).toEqual(ends);
    expect(json.running.map((m: { monitorId: string }) => m.monitorId)).toContain('top-running');
  });
});
