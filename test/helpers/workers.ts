import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { startWorkerProcess, type WorkerProcess, type WorkerProcessOptions } from '../../src/wiring/worker-process.ts';
import type { BullmqPath } from '../../src/config/config.ts';
import { createIsolation, type Isolated } from './isolation.ts';
import { startStatusServer, type StatusServer } from './status-server.ts';

/** The two ways jobwatch re-schedules a poll (see BullmqSeam); the lifecycle, cancel and crash tests run on both. */
export const BULLMQ_PATHS: readonly BullmqPath[] = ['fast', 'public'];

/** The compiled `jobwatch` command, as the package ships it; the global setup builds it from src/ first. */
export const CLI = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

/** A worker in the test process, on the isolation's prefix and database. */
export function startTestWorker(iso: Isolated, env: Record<string, string> = {}, options: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  const logger = createLogger({ logLevel: 'silent' }, { pretty: false });
  return startWorkerProcess(iso.config(env), logger, { database: iso.database, ...options });
}

export function testClient(iso: Isolated, env: Record<string, string> = {}): JobwatchClient {
  return new JobwatchClient({ config: iso.config(env), database: iso.database });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the jobwatch CLI as a user would, in the isolation's environment (and in `cwd`, when given). */
export function runCli(args: string[], env: Record<string, string>, options: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A `jobwatch worker` child process; stop it with SIGTERM or kill it with SIGKILL, by pid. */
export function spawnWorker(env: Record<string, string>, args: string[] = []): ChildProcess & { output: () => string; stdoutText: () => string } {
  return spawnCli(['worker', ...args], env);
}

/**
 * A `jobwatch` child process read while it runs: `output()` is stdout and stderr as they came,
 * `stdoutText()` and `stderrText()` each apart.
 */
export function spawnCli(args: string[], env: Record<string, string>): ChildProcess & { output: () => string; stdoutText: () => string; stderrText: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
    stderr += chunk;
  });
  return Object.assign(child, { output: () => output, stdoutText: () => stdout, stderrText: () => stderr });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Stops a child process with SIGTERM, by pid, and waits for its exit; nothing when there is none. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child) return;
  child.kill('SIGTERM');
  await exited(child);
}

/** An isolation with a scripted status server, a `jobwatch worker` process polling it, and a client. */
export interface PolledSetup {
  iso: Isolated;
  server: StatusServer;
  worker: ReturnType<typeof spawnWorker>;
  client: JobwatchClient;
  /** Stops the worker (SIGTERM, waited for), then closes the rest, each part that was opened. */
  close(): Promise<void>;
}

export async function startPolledSetup(workerEnv: Record<string, string> = {}): Promise<PolledSetup> {
  const iso = await createIsolation();
  const server = await startStatusServer();
  const worker = spawnWorker(iso.env(workerEnv));
  const client = testClient(iso);
  return {
    iso, server, worker, client,
    async close() {
      await client.close();
      worker.kill('SIGTERM');
      await exited(worker);
      await server.close();
      await iso.cleanup();
    },
  };
}
