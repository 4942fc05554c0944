import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResult } from '../../src/db/results.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { runCli, startTestWorker } from '../helpers/workers.ts';

const SECRET = 'cli-callback-secret-0123456789';

let iso: Isolated;
let status: StatusServer;
let worker: WorkerProcess;

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  worker = await startTestWorker(iso);
});

afterAll(async () => {
  await worker?.close(5_000);
  await status?.close();
  await iso?.cleanup();
});

describe('jobwatch report and jobwatch callback-url', () => {
  it('report ends a running monitor with the pushed status and body; again, it answers accepted: false', async () => {
    status.script('cli-push', [{ status: 'Processing' }]);
    expect((await runCli(['enqueue', '--job-id', 'cli-push', '--status-url', status.template, '--interval', '1m'], iso.env())).code).toBe(0);
    const reported = await runCli(['report', 'cli-push', 'Completed', '--body', '{"frames":240}'], iso.env());
    expect(reported.code).toBe(0);
    expect(JSON.parse(reported.stdout)).toMatchObject({ state: 'ended', outcome: 'completed', accepted: true, detail: { via: 'push', body: { frames: 240 } } });
    await waitFor(() => findResult(iso.database.db, 'cli-push'), { what: 'the row' });
    expect(JSON.parse((await runCli(['report', 'cli-push', 'Failed'], iso.env())).stdout)).toMatchObject({ outcome: 'completed', accepted: false });
  });

  it.each([
    [['report'], 'jobwatch: MONITOR_ID: is required: jobwatch report MONITOR_ID'],
    [['report', 'x'], 'jobwatch: STATUS: is required: jobwatch report MONITOR_ID STATUS, e.g. Completed'],
    [['report', 'x', 'Completed', '--body', '{nope'], 'jobwatch: --body: is not valid JSON: {nope'],
    [['callback-url', 'x'], 'jobwatch: JOBWATCH_CALLBACK_SECRET: is required for callback URLs; generate one with `openssl rand -hex 32`'],
  ])('%j: one line, exit 2', async (args, line) => {
    const result = await runCli(args, iso.env());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`${line}\n`);
  });

  it('callback-url prints the URL the server will take, before the monitor exists', async () => {
    const env = iso.env({ JOBWATCH_CALLBACK_SECRET: SECRET, JOBWATCH_PUBLIC_URL: 'https://jobwatch.example.com/' });
    const printed = JSON.parse((await runCli(['callback-url', 'acme/video:7'], env)).stdout);
    expect(printed.callbackUrl).toMatch(/^https:\/\/jobwatch\.example\.com\/callbacks\/acme%2Fvideo%3A7\/[\w-]{43}$/);
  });
});
