import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChecks } from '../../src/db/checks.ts';
import { findResult } from '../../src/db/results.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { runCli, startTestWorker } from '../helpers/workers.ts';

/**
 * `--namespace` through the built CLI: the same monitor id started in two namespaces is read,
 * listed, reported to, followed and canceled in each apart, and its callback URLs differ. Without
 * the flag the CLI names the default namespace, where this id is not.
 */
const ID = 'export-42';
const SECRET = 'cli-namespace-callback-secret-0123';

let iso: Isolated;
let status: StatusServer;
let worker: WorkerProcess;
let env: Record<string, string>;

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  worker = await startTestWorker(iso);
  env = iso.env({ JOBWATCH_CALLBACK_SECRET: SECRET, JOBWATCH_PUBLIC_URL: 'https://jobwatch.example.com' });
});

afterAll(async () => {
  await worker?.close(5_000);
  await status?.close();
  await iso?.cleanup();
});

const cli = (...args: string[]) => runCli(args, env);
const json = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the same monitor id in two namespaces, through the CLI', () => {
  it('enqueue starts both; status, list and history read each apart; the default namespace has neither', async () => {
    // Each job answers its own status, so a history row says whose poll it was.
    status.script('job-a', [{ status: 'Processing' }]);
    status.script('job-b', [{ status: 'Queued' }]);
    for (const [namespace, jobId] of [['team-a', 'job-a'], ['team-b', 'job-b']]) {
      const started = await cli('enqueue', '--namespace', namespace!, '--monitor-id', ID, '--job-id', jobId!, '--status-url', status.template, '--interval', '1h');
      expect(started.code, started.stderr).toBe(0);
      expect(json(started.stdout)[0]).toMatchObject({ created: true, namespace, monitorId: ID, jobId });
    }

    expect(json((await cli('status', ID, '--namespace', 'team-a')).stdout)[0]).toMatchObject({ namespace: 'team-a', jobId: 'job-a' });
    expect(json((await cli('status', ID, '--namespace', 'team-b')).stdout)[0]).toMatchObject({ namespace: 'team-b', jobId: 'job-b' });
    expect(await cli('status', ID)).toMatchObject({ code: 1, stderr: `jobwatch: no monitor with id ${ID}\n` });
    expect(await cli('status', ID, '--namespace', 'team-c')).toMatchObject({ code: 1, stderr: `jobwatch: no monitor with id ${ID} in namespace team-c\n` });

    expect(json((await cli('list', '--namespace', 'team-a')).stdout)).toEqual([expect.objectContaining({ namespace: 'team-a', jobId: 'job-a' })]);
    expect(json((await cli('list')).stdout).map((monitor) => monitor.namespace).sort()).toEqual(['team-a', 'team-b']);
    expect((await cli('list', '--namespace', 'team-c')).stdout).toBe('');

    // The first poll of each, in its own namespace's history.
    for (const namespace of ['team-a', 'team-b']) {
      await waitFor(async () => (await listChecks(iso.database.db, { namespace, monitorId: ID })).length > 0, { what: `the first check of ${namespace}` });
    }
    expect(json((await cli('history', ID, '--namespace', 'team-a')).stdout)).toEqual([expect.objectContaining({ status: 'Processing' })]);
    expect(json((await cli('history', ID, '--namespace', 'team-b')).stdout)).toEqual([expect.objectContaining({ status: 'Queued' })]);
  });

  it("report ends one namespace's monitor and leaves the other's running; watch follows each", async () => {
    const reported = await cli('report', ID, 'Failed', '--namespace', 'team-b', '--body', '{"by":"team-b"}');
    expect(reported.code, reported.stderr).toBe(0);
    expect(json(reported.stdout)[0]).toMatchObject({ namespace: 'team-b', state: 'ended', outcome: 'failed', accepted: true });
    expect((await waitFor(() => findResult(iso.database.db, { namespace: 'team-b', monitorId: ID }), { what: "team-b's row" })).jobId).toBe('job-b');
    expect(json((await cli('status', ID, '--namespace', 'team-a')).stdout)[0]).toMatchObject({ namespace: 'team-a', state: expect.stringMatching(/scheduled|polling/) });

    // An ended monitor is followed to its end at once: the exit code is its outcome's.
    const watched = await cli('watch', ID, '--namespace', 'team-b', '--json');
    expect(watched.code).toBe(3);
    expect(json(watched.stdout).at(-1)).toMatchObject({ event: 'end', monitor: expect.objectContaining({ namespace: 'team-b', outcome: 'failed' }) });
    expect((await cli('watch', ID, '--namespace', 'team-a', '--timeout', '1s', '--json')).code).toBe(7);
    expect(await cli('watch', ID)).toMatchObject({ code: 8, stderr: `jobwatch: no monitor with id ${ID}\n` });
  });

  it("cancel ends one namespace's monitor only: the other keeps its own end", async () => {
    const canceled = await cli('cancel', ID, '--namespace', 'team-a');
    expect(canceled.code, canceled.stderr).toBe(0);
    expect(json(canceled.stdout)[0]).toMatchObject({ namespace: 'team-a', jobId: 'job-a', state: 'ended', outcome: 'canceled' });
    expect(json((await cli('status', ID, '--namespace', 'team-b')).stdout)[0]).toMatchObject({ namespace: 'team-b', outcome: 'failed' });
    expect(await cli('cancel', ID)).toMatchObject({ code: 1 });
  });

  it("callback-url: each namespace's URL is its own, and the default namespace's has none in its path", async () => {
    const [a, b, plain] = await Promise.all([cli('callback-url', ID, '--namespace', 'team-a'), cli('callback-url', ID, '--namespace', 'team-b'), cli('callback-url', ID)]);
    const urlA = json(a.stdout)[0]!;
    const urlB = json(b.stdout)[0]!;
    expect(urlA).toMatchObject({ namespace: 'team-a', monitorId: ID, callbackUrl: expect.stringMatching(/^https:\/\/jobwatch\.example\.com\/callbacks\/team-a\/export-42\/[\w-]{43}$/) });
    expect(urlB.callbackUrl).toMatch(/^https:\/\/jobwatch\.example\.com\/callbacks\/team-b\/export-42\/[\w-]{43}$/);
    expect(String(urlA.callbackUrl).split('/').at(-1)).not.toBe(String(urlB.callbackUrl).split('/').at(-1));
    expect(json(plain.stdout)[0]).toEqual({ monitorId: ID, callbackUrl: expect.stringMatching(/\/callbacks\/export-42\/[\w-]{43}$/) });
  });

  it.each([
    ['status', ID], ['cancel', ID], ['report', ID, 'Completed'], ['watch', ID], ['history', ID], ['list'], ['callback-url', ID],
  ])('%s with a namespace that is not one: one line naming --namespace, exit 2', async (...args) => {
    const result = await cli(...args, '--namespace', 'Team_A');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('jobwatch: --namespace: "Team_A" is not a namespace; use 1 to 63 lowercase letters, digits and inner dashes\n');
  });
});
