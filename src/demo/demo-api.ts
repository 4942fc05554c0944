import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for a service that runs long jobs (the seed's "fx"): `POST /jobs` starts a simulated
 * job, `GET /jobs/:id` reports `Processing` until it ends as `Completed` or `Failed`.
 */
export interface DemoApiOptions {
  /** @defaultValue 4000 */
  port?: number;
  /** @defaultValue `127.0.0.1` */
  host?: string;
  /** Shortest simulated job. @defaultValue 3000 */
  minDurationMs?: number;
  /** Longest simulated job. @defaultValue 10000 */
  maxDurationMs?: number;
  /** Share of jobs that end as Failed. @defaultValue 0.2 */
  failureRate?: number;
}

interface DemoJob {
  id: string;
  createdAt: number;
  endsAt: number;
  finalStatus: 'Completed' | 'Failed';
}

export interface RunningDemoApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4_096;

export async function startDemoApi(options: DemoApiOptions = {}): Promise<RunningDemoApi> {
  const minMs = options.minDurationMs ?? 3_000;
  const maxMs = Math.max(minMs, options.maxDurationMs ?? 10_000);
  const failureRate = options.failureRate ?? 0.2;
  const jobs = new Map<string, DemoJob>();

  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => send(response, 500, { error: error.message }));
  });
  server.keepAliveTimeout = 60_000;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://demo');
    if (request.method === 'POST' && url.pathname === '/jobs') {
      const body = await readJson(request);
      if (body === undefined) return send(response, 400, { error: 'body must be JSON, e.g. {"durationMs": 5000}' });
      const requested = (body as { durationMs?: unknown; outcome?: unknown }) ?? {};
      const durationMs = typeof requested.durationMs === 'number' && requested.durationMs >= 0
        ? requested.durationMs
        : minMs + Math.random() * (maxMs - minMs);
      const finalStatus = requested.outcome === 'Failed' || requested.outcome === 'Completed'
        ? requested.outcome
        : Math.random() < failureRate ? 'Failed' : 'Completed';
      const job: DemoJob = { id: randomUUID(), createdAt: Date.now(), endsAt: Date.now() + durationMs, finalStatus };
      jobs.set(job.id, job);
      return send(response, 201, view(job));
    }
    const match = /^\/jobs\/([^/]+)$/.exec(url.pathname);
    if (request.method === 'GET' && match) {
      const job = jobs.get(decodeURIComponent(match[1]!));
      return job ? send(response, 200, view(job)) : send(response, 404, { error: 'no such job' });
    }
    return send(response, 404, { error: 'try POST /jobs or GET /jobs/:id' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4000, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function view(job: DemoJob) {
  const now = Date.now();
  const done = now >= job.endsAt;
  const total = Math.max(1, job.endsAt - job.createdAt);
  return {
    id: job.id,
    status: done ? job.finalStatus : 'Processing',
    progress: done ? 1 : Math.min(0.99, Math.round(((now - job.createdAt) / total) * 100) / 100),
    createdAt: new Date(job.createdAt).toISOString(),
    ...(done ? { finishedAt: new Date(job.endsAt).toISOString() } : {}),
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of request) {
    text += chunk;
    if (text.length > MAX_BODY_BYTES) return undefined;
  }
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
