import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { listen, type Listening } from '../http/listen.ts';
import { addDemoRenders } from './demo-renders.ts';

/**
 * A stand-in for a service that runs long jobs (the seed's "fx"): `POST /jobs` starts a simulated
 * job, `GET /jobs/:id` reports `Processing` until it ends as `Completed` or `Failed`. `POST /renders`
 * starts a render the long-running-operation way, for jobwatch to start itself (demo-renders.ts).
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
  /** How long a render (`POST /renders`) takes. @defaultValue 3000 */
  renderMs?: number;
}

type FinalStatus = 'Completed' | 'Failed';

interface DemoJob {
  id: string;
  createdAt: number;
  endsAt: number;
  finalStatus: FinalStatus;
}

/** What `POST /jobs` may ask for; anything left out is drawn at random. */
interface JobRequest {
  durationMs?: unknown;
  outcome?: unknown;
}

export type RunningDemoApi = Listening;

const MAX_BODY_BYTES = 4_096;
const BODY_HINT = 'body must be JSON, e.g. {"durationMs": 5000, "outcome": "Failed"}';

export async function startDemoApi(options: DemoApiOptions = {}): Promise<RunningDemoApi> {
  const minMs = options.minDurationMs ?? 3_000;
  const maxMs = Math.max(minMs, options.maxDurationMs ?? 10_000);
  const failureRate = options.failureRate ?? 0.2;
  const jobs = new Map<string, DemoJob>();

  const app = new Hono();
  app.post('/jobs', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: `${BODY_HINT}, at most ${MAX_BODY_BYTES} bytes` }, 413) }), async (c) => {
    const requested = parseJson(await c.req.text());
    if (requested === undefined) return c.json({ error: BODY_HINT }, 400);
    const durationMs = typeof requested.durationMs === 'number' && requested.durationMs >= 0
      ? requested.durationMs
      : minMs + Math.random() * (maxMs - minMs);
    const finalStatus: FinalStatus = requested.outcome === 'Failed' || requested.outcome === 'Completed'
      ? requested.outcome
      : Math.random() < failureRate ? 'Failed' : 'Completed';
    const now = Date.now();
    const job: DemoJob = { id: randomUUID(), createdAt: now, endsAt: now + durationMs, finalStatus };
    jobs.set(job.id, job);
    return c.json(view(job), 201);
  });
  app.get('/jobs/:id', (c) => {
    const job = jobs.get(c.req.param('id'));
    return job ? c.json(view(job)) : c.json({ error: 'no such job' }, 404);
  });
  addDemoRenders(app, { durationMs: options.renderMs ?? 3_000 });
  app.notFound((c) => c.json({ error: 'try POST /jobs, GET /jobs/:id, POST /renders or GET /renders/:id/status' }, 404));
  app.onError((error, c) => c.json({ error: error.message }, 500));

  return listen(app, { port: options.port ?? 4000, host: options.host ?? '127.0.0.1' });
}

/** The request's fields; `{}` for an empty body, undefined for one that is not a JSON object. */
function parseJson(text: string): JobRequest | undefined {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
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
