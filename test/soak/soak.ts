import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { createIsolation } from '../helpers/isolation.ts';
import { countRows } from '../helpers/results.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, spawnWorker } from '../helpers/workers.ts';
import { freePort } from '../helpers/ports.ts';

export interface SoakOptions {
  monitors: number;
  intervalMs: number;
  durationMs: number;
  /** Length of one lateness bucket (a minute in a full run). */
  bucketMs: number;
  /** Worker concurrency: enough for every monitor's poll each interval. */
  concurrency: number;
  log: (line: string) => void;
}

/** Memory at one moment of the run. */
export interface MemorySample {
  at: string;
  workerRssMiB: number;
  /** V8 heap in use in the worker (from its /metrics): what a leak in our code would grow. */
  workerHeapMiB: number;
  /** What the run's keys take in Redis (MEMORY USAGE over its prefix): the server is shared with other runs. */
  redisKeysMiB: number;
  /** The whole Redis server's used_memory, for scale. */
  redisUsedMiB: number;
}

export interface SoakReport {
  samples: MemorySample[];
  /** p99 lateness of the polls in each bucket, in ms (the bucket of the restart is marked). */
  latenessP99Ms: { bucket: number; p99Ms: number; polls: number; restart: boolean }[];
  monitors: number;
  rows: number;
  problems: string[];
}

/** Largest growth of memory after warm-up, and of lateness from the first bucket after warm-up to the last. */
const MAX_MEMORY_GROWTH = 0.1;
const MAX_LATENESS_DRIFT_MS = 250;

/**
 * Monitors that run for the whole soak and end together at its end, polled by one `jobwatch worker`
 * process that is restarted (SIGTERM, then a fresh one) halfway. Lateness is measured at the status
 * service: the time between two polls of a monitor, minus its interval.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { log } = options;
  const iso = await createIsolation();
  const redis = new Redis(TEST_REDIS_URL);
  const start = Date.now();
  const endAt = start + options.durationMs;
  const lastCall = new Map<string, number>();
  const lateness: number[][] = [];
  let restartBucket = -1;
  const server: Server = createServer((request, response) => {
    const now = Date.now();
    const jobId = request.url!.slice('/jobs/'.length);
    const previous = lastCall.get(jobId);
    lastCall.set(jobId, now);
    if (previous !== undefined) (lateness[Math.floor((now - start) / options.bucketMs)] ??= []).push(now - previous - options.intervalMs);
    response.writeHead(200, { 'content-type': 'application/json' }).end(now < endAt ? '{"status":"Processing"}' : '{"status":"Completed"}');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const template = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jobs/{jobId}`;
  const env = iso.env({ LOG_LEVEL: 'warn', JOBWATCH_CONCURRENCY: String(options.concurrency), JOBWATCH_SHUTDOWN_TIMEOUT: '10s' });
  const client = new JobwatchClient({ config: iso.config(), database: iso.database });
  const samples: MemorySample[] = [];
  const problems: string[] = [];
  const metricsPort = await freePort();
  const startWorker = () => spawnWorker(env, ['--metrics-port', String(metricsPort)]);
  let worker = startWorker();
  const sample = async (at: string) => {
    const info = await redis.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    const keys = await prefixMemory(redis, iso.prefix);
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${worker.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    const heap = await workerHeapBytes(metricsPort);
    samples.push({ at, workerRssMiB: round(rss / 2 ** 20), workerHeapMiB: round(heap / 2 ** 20), redisKeysMiB: round(keys / 2 ** 20), redisUsedMiB: round(used / 2 ** 20) });
    log(`${at}: ${JSON.stringify(samples.at(-1))}`);
  };
  const until = (share: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, start + share * options.durationMs - Date.now())));
  try {
    for (let first = 0; first < options.monitors; first += 1_000) {
      await client.startMonitors(Array.from({ length: Math.min(1_000, options.monitors - first) }, (_, i) => ({
        jobId: `soak-${first + i}`, statusUrl: template, interval: options.intervalMs, expireIn: options.durationMs * 3,
      })));
    }
    log(`${options.monitors} monitors started in ${Date.now() - start}ms`);
    // Each worker warms up for a fifth of the run or more before the sample that growth is measured from.
    await until(0.2);
    await sample('worker 1 warm');
    await until(0.45);
    await sample('worker 1 before restart');
    restartBucket = Math.floor((Date.now() - start) / options.bucketMs);
    worker.kill('SIGTERM');
    const code = await exited(worker);
    if (code !== 0) problems.push(`worker 1 exited ${code} on SIGTERM: ${worker.output().slice(-500)}`);
    worker = startWorker();
    await until(0.7);
    await sample('worker 2 warm');
    await until(0.99);
    await sample('worker 2 end');
    await waitFor(async () => (await countRows(iso)) >= options.monitors, { timeoutMs: 120_000 + options.monitors * 10, intervalMs: 1_000, what: 'every row' })
      .catch((error: Error) => problems.push(error.message));
    const rows = await countRows(iso);
    if (rows !== options.monitors) problems.push(`${options.monitors - rows} rows lost`);
    checkGrowth(samples, problems);
    const latenessP99Ms = lateness.map((values, bucket) => ({ bucket, p99Ms: percentile(values ?? [], 0.99), polls: values?.length ?? 0, restart: bucket === restartBucket }));
    checkDrift(latenessP99Ms, Math.ceil((0.2 * options.durationMs) / options.bucketMs), problems);
    return { samples, latenessP99Ms, monitors: options.monitors, rows, problems };
  } finally {
    if (worker.exitCode === null) {
      worker.kill('SIGTERM');
      await exited(worker);
    }
    await client.close();
    redis.disconnect();
    server.closeAllConnections();
    server.close();
    await iso.cleanup();
  }
}

function checkGrowth(samples: MemorySample[], problems: string[]): void {
  const [warm1, before, warm2, end] = samples;
  const grew = (from: number, to: number) => to > from * (1 + MAX_MEMORY_GROWTH);
  if (grew(warm1!.workerRssMiB, before!.workerRssMiB)) problems.push(`worker 1 RSS grew ${warm1!.workerRssMiB} -> ${before!.workerRssMiB} MiB`);
  if (grew(warm2!.workerRssMiB, end!.workerRssMiB)) problems.push(`worker 2 RSS grew ${warm2!.workerRssMiB} -> ${end!.workerRssMiB} MiB`);
  if (grew(warm1!.redisKeysMiB, end!.redisKeysMiB)) problems.push(`Redis memory of the run's keys grew ${warm1!.redisKeysMiB} -> ${end!.redisKeysMiB} MiB`);
}

/** Lateness drifts when the last full bucket's p99 is well above the first one's after warm-up. */
function checkDrift(buckets: SoakReport['latenessP99Ms'], warmBuckets: number, problems: string[]): void {
  const steady = buckets.filter((bucket) => bucket.bucket >= warmBuckets && !bucket.restart && bucket.polls > 0);
  const first = steady[0];
  const last = steady.at(-2) ?? steady.at(-1); // the very last bucket is cut short by the end
  if (first && last && last.p99Ms > first.p99Ms * 1.5 + MAX_LATENESS_DRIFT_MS) {
    problems.push(`lateness drifted: p99 ${first.p99Ms}ms in bucket ${first.bucket}, ${last.p99Ms}ms in bucket ${last.bucket}`);
  }
}

/** The worker's V8 heap in use, read from its Prometheus metrics (prom-client's default metrics). */
async function workerHeapBytes(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^jobwatch_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

/** Bytes the keys under `prefix` take, by MEMORY USAGE, scanned in pages. */
async function prefixMemory(redis: Redis, prefix: string): Promise<number> {
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key);
    for (const [, bytes] of (await pipeline.exec()) ?? []) total += Number(bytes ?? 0);
  } while (cursor !== '0');
  return total;
}

function percentile(values: number[], share: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
