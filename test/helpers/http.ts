import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.ts';
import type { HostStateProvider } from '../../src/monitor/gate/request-gate.ts';
import { listen } from '../../src/http/listen.ts';
import { createHttpApp, type HttpAppDeps } from '../../src/http/server.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { openQueues } from '../../src/queue/queues.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { startServer, type RunningServer } from '../../src/wiring/start-server.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { Isolated } from './isolation.ts';
import { waitFor } from './wait.ts';
import { CLI } from './workers.ts';

/** `jobwatch server` in the test process on a free loopback port, on the isolation's prefix and database. */
export function startTestServer(iso: Isolated, env: Record<string, string> = {}): Promise<RunningServer> {
  const logger = createLogger({ logLevel: 'silent' }, { pretty: false });
  return startServer(iso.config(env), logger, { port: 0, host: '127.0.0.1', database: iso.database });
}

/**
 * The HTTP app on this isolation's Redis and the given database, with parts `startServer` does not
 * let a test choose (a host-state provider, the API's time limit). `close` stops what it opened.
 */
export async function serveApp(
  iso: Isolated,
  options: {
    database: DatabaseHandle; env?: Record<string, string>; hostStates?: HostStateProvider; apiTimeoutMs?: number; logger?: Logger;
    /** The keys and their last use, and the clock they go by (expiry, last use). */
    access?: Pick<HttpAppDeps, 'keys' | 'lastUse' | 'clock'>;
  },
): Promise<{ url: string; close(): Promise<void> }> {
  const logger = options.logger ?? createLogger({ logLevel: 'silent' }, { pretty: false });
  const config = iso.config(options.env);
  const redis = createRedis(config.redisUrl);
  const client = new JobwatchClient({ config, database: options.database, connection: redis });
  const app = createHttpApp({
    config, logger, client, queues: openQueues(redis, config.prefix), redis, database: options.database, metrics: createMetrics({ logger }),
    ...(options.hostStates ? { hostStates: options.hostStates } : {}),
    ...(options.apiTimeoutMs ? { apiTimeoutMs: options.apiTimeoutMs } : {}),
    ...options.access,
  });
  const listening = await listen(app, { port: 0, host: '127.0.0.1' });
  return {
    url: listening.url,
    async close() {
      await listening.close();
      await client.close();
      await redis.quit();
    },
  };
}

/**
 * The HTTP app on this isolation's Redis, but with a Postgres that refuses every connection: what
 * the API answers while Postgres is down. `close` stops it and everything it opened.
 */
export async function startServerWithoutPostgres(iso: Isolated): Promise<{ url: string; close(): Promise<void> }> {
  const deadDatabase = openPostgres('postgres://postgres@127.0.0.1:1/nothing', { max: 1 });
  const served = await serveApp(iso, { database: deadDatabase });
  return {
    url: served.url,
    async close() {
      await served.close();
      await deadDatabase.close();
    },
  };
}

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
}

/** One request over real HTTP; `token` is sent as a bearer token. */
export async function request(url: string, options: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<HttpReply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array<ArrayBuffer> | undefined;
  if (options.body !== undefined) {
    // Text and bytes go as they are (bytes: for bodies that are not even UTF-8).
    body = typeof options.body === 'string' ? options.body
      : options.body instanceof Uint8Array ? new Uint8Array(options.body) : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method: options.method ?? 'GET', headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export function basicAuth(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/** A jobwatch child process (server or worker) whose output is kept, and the URL it logged. */
export interface ServingProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM by pid, then waits for the exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Spawns `jobwatch <args>` and waits for its JSON log line with message `listeningMessage` (e.g.
 * `server listening`), whose `url` field says where it listens. Needs LOG_LEVEL info or lower.
 */
export async function spawnServing(args: string[], env: Record<string, string>, listeningMessage: string): Promise<ServingProcess> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exitedEarly = () => child.exitCode !== null;
  const url = await waitFor(() => {
    if (exitedEarly()) throw new Error(`jobwatch ${args.join(' ')} exited ${child.exitCode}: ${output}`);
    return findLoggedUrl(output, listeningMessage);
  }, { what: listeningMessage, timeoutMs: 30_000 });
  return {
    child,
    url: url.replace(/\/metrics$/, ''),
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      return exit;
    },
  };
}

function findLoggedUrl(output: string, message: string): string | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; url?: string };
    if (entry.msg === message && entry.url) return entry.url;
  }
  return undefined;
}
