import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startOperationServices, type OperationServices } from '../helpers/operation-services.ts';
import { writeSourcesFile, type SourcesFile } from '../helpers/sources-file.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, runCli, spawnWorker } from '../helpers/workers.ts';

/**
 * `jobwatch call` through the built CLI, against the fake job services of
 * test/helpers/operation-services.ts and a real `jobwatch worker`: it starts an operation and
 * prints it; `--wait` follows it as `jobwatch watch` does, with the same lines and exit codes.
 */
let iso: Isolated;
let services: OperationServices;
let sources: SourcesFile;
const env = () => iso.env({ JOBWATCH_SOURCES: sources.path });

beforeAll(async () => {
  iso = await createIsolation();
  services = await startOperationServices({ retryAfter: null, runningPolls: 1 });
  sources = writeSourcesFile({
    'render-202': { start: { url: services.http202.startUrl }, convention: 'http-202' },
    'azure-op': { start: { url: services.azure.startUrl }, convention: 'azure-operation' },
    'body-id': {
      start: { url: services.bodyId.startUrl, jobIdPath: 'id' }, url: services.bodyId.pollTemplate,
      statusPath: 'status', running: ['Processing'], completed: ['Completed'], failed: ['Failed'],
    },
    // A status source with no start request: not one to call.
    'plain': { url: services.bodyId.pollTemplate, statusPath: 'status' },
  });
});

afterAll(async () => {
  await services?.close();
  sources?.remove();
  await iso?.cleanup();
});

describe('jobwatch call rejects bad input with one line naming the flag, exit code 2, nothing started', () => {
  it.each([
    ['no SOURCE', [], /^jobwatch: SOURCE: is required/],
    ['an unknown source', ['nope'], /^jobwatch: SOURCE: "nope" is not a source of the sources file/],
    ['a source without a start request', ['plain'], /^jobwatch: SOURCE: "plain" declares no start request/],
    ['--body that is not JSON', ['render-202', '--body', '{oops'], /^jobwatch: --body: is not valid JSON/],
    ['--param without =', ['render-202', '--param', 'scene'], /^jobwatch: --param: "scene" is not KEY=VALUE/],
    ['a param the source does not take', ['render-202', '--param', 'scene=7'], /^jobwatch: --param \(scene\): is not a param of this source/],
    ['a bad duration', ['render-202', '--interval', 'fast'], /^jobwatch: --interval: "fast" is not a duration/],
    ['--metadata that is not an object', ['render-202', '--metadata', '[1]'], /^jobwatch: --metadata: must be a JSON object/],
    ['a bad --namespace', ['render-202', '--namespace', 'Team_A'], /^jobwatch: --namespace: "Team_A" is not a namespace/],
    ['a bad --monitor-id', ['render-202', '--monitor-id', ''], /^jobwatch: --monitor-id: /],
    ['--every without --wait', ['render-202', '--every', '1s'], /^jobwatch: --every: goes with --wait$/],
    ['a bad --timeout', ['render-202', '--wait', '--timeout', 'soon'], /^jobwatch: --timeout: "soon" is not a duration/],
    ['an unknown flag', ['render-202', '--colour', 'red'], /^jobwatch: --colour: unknown option/],
    ['a flag of enqueue that an operation has not', ['render-202', '--job-id', 'x'], /^jobwatch: --job-id: unknown option/],
  ])('%s', async (_name, args, message) => {
    const result = await runCli(['call', ...args], env());
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
    expect(result.code).toBe(2);
    expect(await iso.redisKeys()).toEqual([]);
  });
});

describe('jobwatch call with a worker', () => {
  let worker: ChildProcess | undefined;

  afterAll(async () => {
    if (!worker) return;
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
  });

  it('prints the operation, starting, with no job id yet; the same call again prints it, another request is refused', async () => {
    const args = ['call', 'render-202', '--monitor-id', 'call-print', '--body', '{"scene":7}', '--interval', '100ms', '--meta', '{"team":"video"}'];
    const first = await runCli(args, env());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(first.stdout)).toMatchObject({
      created: true, monitorId: 'call-print', jobId: null, state: 'starting', statusSource: 'source render-202', metadata: { team: 'video' },
      operation: { fingerprint: expect.any(String) },
    });

    const again = await runCli(args, env());
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, monitorId: 'call-print', state: 'starting' });
    const other = await runCli(['call', 'render-202', '--monitor-id', 'call-print', '--body', '{"scene":8}'], env());
    expect(other.code).toBe(1);
    expect(other.stderr.trim()).toBe('jobwatch: operation call-print exists already for another request; choose another id');
    // No worker yet: nothing was sent.
    expect(services.http202.startCount()).toBe(0);

    worker = spawnWorker(env());
    const status = await waitForEnd('call-print');
    expect(status).toMatchObject({ outcome: 'completed', jobId: null, operation: { answer: { status: 202 } } });
    expect(services.http202.startCount()).toBe(1);
  });

  it('--wait follows a 202 to its end in the lines of jobwatch watch and exits 0', async () => {
    const result = await runCli(['call', 'render-202', '--monitor-id', 'call-wait', '--interval', '100ms', '--wait', '--every', '100ms'], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    // Opened as watch opens: the operation, and where it stands (a fast worker may have answered already).
    expect(lines[0]).toMatch(/^watching call-wait: (starting: sending the start request to source render-202|scheduled, 1 poll so far|polling, 1 poll so far|ended completed)$/);
    expect(withoutDetail(result.stdout)).not.toMatch(/\bnull\b/);
    expect(lines).toContain('call-wait ended completed (exit 0)');
    const end = lines.indexOf('call-wait ended completed (exit 0)');
    expect(lines[end + 1]).toBe('  job        -');
    expect(lines[end + 2]).toMatch(new RegExp(`^  start      answered 202, watching ${services.url}/async/jobs/job-\\d+/status$`));
  });

  it('--wait --json: the events of watch --json, with what the start answered', async () => {
    const result = await runCli(['call', 'body-id', '--monitor-id', 'call-json', '--interval', '100ms', '--wait', '--json', '--every', '100ms'], env());
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ event: 'start', monitor: { monitorId: 'call-json' } });
    expect(events.at(-1)).toMatchObject({ event: 'end', exitCode: 0, monitor: { outcome: 'completed', jobId: expect.stringMatching(/^job-\d+$/) } });
    const answered = events.filter((event) => event.event === 'answered');
    // Reported once while it ran, unless the operation had ended before the first read.
    expect(answered.length).toBeLessThanOrEqual(1);
    for (const event of answered) expect(event.answer).toMatchObject({ status: 201, jobId: expect.stringMatching(/^job-\d+$/) });
  });

  it('--wait with the start refused (400): exits 3, failed, with the status and the reason', async () => {
    services.bodyId.failStarts(1, 400, { body: { error: 'scene is missing' } });
    const result = await runCli(['call', 'body-id', '--monitor-id', 'call-refused', '--wait', '--every', '100ms'], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(3);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContain('call-refused ended failed (exit 3)');
    const end = lines.indexOf('call-refused ended failed (exit 3)');
    expect(lines[end + 1]).toBe('  job        -');
    expect(lines[end + 2]).toMatch(/^  start      failed: 400 the start request was refused: .+ answered 400$/);
    expect(withoutDetail(result.stdout)).not.toMatch(/\bnull\b/);
  });
});

/** The operation's state once it has ended and its record is in Postgres, read through `jobwatch status`. */
async function waitForEnd(monitorId: string): Promise<Record<string, unknown>> {
  return waitFor(async () => {
    const state = JSON.parse((await runCli(['status', monitorId], env())).stdout);
    return state.state === 'ended' && state.persisted ? state : undefined;
  }, { what: `${monitorId} ended`, intervalMs: 200 });
}

/** The lines jobwatch prints of its own, less the final record's detail (the job's own JSON, which may hold a null). */
function withoutDetail(stdout: string): string {
  return stdout.split('\n').filter((line) => !line.startsWith('  detail ')).join('\n');
}
