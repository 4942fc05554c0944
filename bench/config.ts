import { fileURLToPath } from 'node:url';

/** The benchmark's scenarios, in the order they run (later ones use figures of earlier ones). */
export const SCENARIOS = [
  'throughput', 'tracing', 'http', 'sources', 'lateness', 'pg-boss', 'memory', 'enqueue', 'persistence', 'startup', 'push', 'history', 'limits', 'batch', 'batch-ids', 'overview', 'operations',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * `npm run bench:core`: the rows of the shipped processes that the performance work is judged by
 * (throughput against the step-job loop, with the cost of a poll; timer lateness at half of it;
 * ids per batch request), in under 5 minutes.
 */
export const CORE_SCENARIOS: readonly ScenarioName[] = ['throughput', 'lateness', 'batch-ids'];

/**
 * The environment that turns the request gate off in a `jobwatch worker` process, for row (2g);
 * undefined while src/config has no such switch (then (2g) is not run and row (2) says so).
 * E.g. `{ JOBWATCH_GATE: 'off' }` once one exists.
 */
export const GATE_OFF_ENV: Readonly<Record<string, string>> | undefined = { JOBWATCH_GATE: 'off' };

/** N monitors, each polled K times. */
export interface Shape {
  monitors: number;
  pollsPerMonitor: number;
}

/** One run's settings: sizes are fixed sample counts, so that two runs measure the same work. */
export interface BenchConfig {
  /** `BENCH_QUICK=1`: a short smoke run with small sizes; its figures are not comparable. */
  readonly quick: boolean;
  /**
   * `BENCH_REDIS_URL`: a Redis to run on (its BENCH_REDIS_CONFIG settings are set for the run and
   * put back after). @defaultValue empty: a redis-server of the bench's own, started with those
   * settings on a free loopback port (the run's config then holds its URL)
   */
  readonly redisUrl: string;
  /** Whether BENCH_REDIS_URL named the Redis (shared: others' commands are in its counters). */
  readonly externalRedis: boolean;
  /** `BENCH_POSTGRES_URL`: a server where the bench may create and drop its own databases. @defaultValue `postgres://postgres@127.0.0.1:5432/postgres` */
  readonly postgresUrl: string;
  /**
   * `BENCH_REDIS_CONFIG`: Redis settings of the run (the bench's own server starts with them; one
   * named by BENCH_REDIS_URL has them set for the run and put back after), as
   * `name=value,...`, e.g. `hz=100,hash-max-listpack-value=1024` (the settings the README
   * recommends: `hz` bounds how late a delayed poll can wake, the listpack limit how compactly a
   * waiting monitor is stored). @defaultValue the README's settings, `hz=100,hash-max-listpack-value=1024`
   * (docker-compose.yml runs Redis with them); set it empty to measure Redis as it is
   */
  readonly redisSettings: Readonly<Record<string, string>>;
  /** `BENCH_ONLY`: comma-separated scenario names to run. @defaultValue all; `core` (the entry point's argument): CORE_SCENARIOS */
  readonly only: readonly ScenarioName[];
  /**
   * `core` (`npm run bench:core`): the throughput rounds run the baseline and the shipped worker
   * only, without the ceiling (1) and the harness (2h), to keep within 5 minutes. @defaultValue `all`
   */
  readonly suite: 'all' | 'core';
  /** `BENCH_OUTPUT`: where the JSON report goes. @defaultValue `bench/results/latest.json` */
  readonly outputPath: string;
  /** Timed rounds per throughput figure; the median is reported. @defaultValue 3 (quick: 1) */
  readonly rounds: number;
  /** Polls (or requests, or completions) in flight at once, for jobwatch and every baseline. @defaultValue 100 */
  readonly concurrency: number;
  /** Every monitor of the throughput rounds polls this often: short, so that the loops never wait on the interval. */
  readonly intervalMs: number;
  /**
   * (1), (2): N monitors polled K times each per timed round (N x 10 polls/s must stay well above
   * the rate measured, so that the loop is saturated and the interval never holds it back).
   */
  readonly throughput: Shape;
  /**
   * (2t) tracing on against off: row (2)'s monitors with 4 times its polls, about 8 s a round, so
   * that each round's new worker is measured warm, as a worker runs in production. In row (2)'s
   * 3-second rounds a worker's start-up weighs on every figure (88-93 µs of CPU per poll with
   * tracing off, against 58-64 µs here), though the ratio came out about the same (0.87-0.89).
   * Rounds of their own, 7 of them: the ratios are a few per cent apart, and single rounds on the
   * 2-core machine ranged from 0.72x to 1.53x on 2026-12-06 (a round's figure moves with the load
   * of the whole machine, Redis's CPU per command with it), so the median needs the rounds.
   */
  readonly tracing: Shape & { rounds: number };
  /** The untimed round before the timed ones of (1)-(3) and (5): JIT, connections, Redis scripts. */
  readonly warmup: Shape;
  /** (3) jobwatch over HTTP (N, K), and the requests the bare HTTP loop makes per round; (3s) the same N, K through a source. */
  readonly http: Shape & { bareRequests: number };
  /**
   * (4), (5) lateness: polls fall due at `loadShare` of what the shipped worker reached in (2), each
   * monitor every `intervalMs`; `rounds` windows of `measureMs` after `warmupMs`, each beside the
   * baseline's; `fallbackRate` when (2) did not run.
   */
  readonly lateness: { loadShare: number; intervalMs: number; warmupMs: number; measureMs: number; rounds: number; fallbackRate: number };
  /** (5) pg-boss: its throughput rounds (same K as (2); N enough to saturate it), jobs per fetch, fetch loops. */
  readonly pgBoss: Shape & { batchSize: number; localConcurrency: number };
  /** (6) monitors held delayed for the Redis memory figure; RSS sampling of a worker process. */
  readonly memory: { monitors: number; rssMonitors: number; rssWarmupMs: number; rssSamples: number };
  /** (7) monitors started through `startMonitors` per round. */
  readonly enqueueMonitors: number;
  /** (8) completions persisted per round. */
  readonly completions: number;
  /** (9) runs of each command whose start-up CPU time is measured; the median is reported. */
  readonly startupRuns: number;
  /**
   * (10) Push: pushes at `pushesPerSecond` to as many of `monitors` running monitors; `pollMonitors`
   * polled at 1 s beside them; `scheduleMonitors` simulated 30-minute jobs per schedule.
   */
  readonly push: { monitors: number; pushes: number; pushesPerSecond: number; pollMonitors: number; scheduleMonitors: number };
  /** (11b) batched against single-request HTTP polling: N monitors due at once, K polls each. */
  readonly batch: Shape;
  /**
   * (11c) ids per batch request: `workers` worker processes, `monitors` on one batchStatusUrl every `intervalMs`, counted for `measureMs` after `warmupMs`;
   * then the same for each of `more` (11c3 onwards), with its own interval and worker concurrency.
   */
  readonly batchIds: {
    workers: number; monitors: number; intervalMs: number; warmupMs: number; measureMs: number;
    more: readonly { intervalMs: number; concurrency: number; warmupMs: number; measureMs: number }[];
  };
  /**
   * (13) The monitors page: ended monitors seeded over 7 days (3 history rows each), history rows of
   * running monitors in the last hour, running monitors in Redis, and timed requests of the page.
   */
  readonly overview: { endedMonitors: number; lastHourChecks: number; runningMonitors: number; requests: number };
  /**
   * (11a) Rate limits: `workers` worker processes poll `monitors` monitors of one host every second
   * under a limit of `limit`/s, measured for `measureMs` after `warmupMs`; (11a8) `crowd`: the same
   * with `crowd.monitors` every `crowd.intervalMs` under `crowd.limit`/s, in `crowd.runs` runs of their
   * own. The cost rows use the shape of (2).
   */
  readonly limits: {
    workers: number; monitors: number; limit: number; warmupMs: number; measureMs: number;
    crowd: { workers: number; monitors: number; intervalMs: number; limit: number; runs: number; warmupMs: number; measureMs: number };
  };
  /** (14) Operations: `operations` per timed round through POST /api/operations, sent at `perSecond`, after `warmup` unmeasured. */
  readonly operations: { operations: number; perSecond: number; warmup: number };
}

/** Fixed in both modes: the shape measured. Only the sizes below differ between a full and a quick run. */
const PG_BOSS_TUNING = { batchSize: 100, localConcurrency: 2 };
const LATENESS_SHAPE = { loadShare: 0.5, intervalMs: 1_000 };

const FULL = {
  rounds: 3,
  throughput: { monitors: 3_000, pollsPerMonitor: 10 },
  tracing: { monitors: 3_000, pollsPerMonitor: 40, rounds: 7 },
  warmup: { monitors: 500, pollsPerMonitor: 5 },
  http: { monitors: 2_000, pollsPerMonitor: 10, bareRequests: 40_000 },
  pgBoss: { ...PG_BOSS_TUNING, monitors: 2_000, pollsPerMonitor: 20 },
  lateness: { ...LATENESS_SHAPE, warmupMs: 3_000, measureMs: 12_000, rounds: 3, fallbackRate: 1_500 },
  memory: { monitors: 100_000, rssMonitors: 2_000, rssWarmupMs: 5_000, rssSamples: 5 },
  enqueueMonitors: 100_000,
  completions: 20_000,
  startupRuns: 10,
  push: { monitors: 10_000, pushes: 2_000, pushesPerSecond: 200, pollMonitors: 2_000, scheduleMonitors: 20 },
  batch: { monitors: 5_000, pollsPerMonitor: 4 },
  batchIds: {
    workers: 3, monitors: 1_000, intervalMs: 1_000, warmupMs: 3_000, measureMs: 10_000,
    // 1 s at the concurrency 30; 10 s; and 1 minute scaled down tenfold to 6 s: at the default
    // jitter a slot is a tenth of the interval either way, so each holds the same share of the fleet.
    more: [
      { intervalMs: 1_000, concurrency: 30, warmupMs: 3_000, measureMs: 10_000 },
      { intervalMs: 10_000, concurrency: 100, warmupMs: 10_000, measureMs: 30_000 },
      { intervalMs: 6_000, concurrency: 100, warmupMs: 6_000, measureMs: 18_000 },
    ],
  },
  overview: { endedMonitors: 100_000, lastHourChecks: 60_000, runningMonitors: 1_000, requests: 200 },
  limits: {
    workers: 3, monitors: 2_000, limit: 200, warmupMs: 10_000, measureMs: 30_000,
    // The case: 300 monitors every 100 ms want 3,000 requests/s of a host limited to 20/s.
    crowd: { workers: 3, monitors: 300, intervalMs: 100, limit: 20, runs: 5, warmupMs: 5_000, measureMs: 20_000 },
  },
  operations: { operations: 1_000, perSecond: 100, warmup: 100 },
};

/** Smoke sizes: every code path runs, in seconds; the figures mean nothing. */
const QUICK: typeof FULL = {
  rounds: 1,
  throughput: { monitors: 200, pollsPerMonitor: 4 },
  tracing: { monitors: 200, pollsPerMonitor: 4, rounds: 1 },
  warmup: { monitors: 50, pollsPerMonitor: 2 },
  http: { monitors: 200, pollsPerMonitor: 4, bareRequests: 2_000 },
  pgBoss: { ...PG_BOSS_TUNING, monitors: 200, pollsPerMonitor: 4 },
  lateness: { ...LATENESS_SHAPE, warmupMs: 1_000, measureMs: 2_000, rounds: 1, fallbackRate: 200 },
  memory: { monitors: 2_000, rssMonitors: 200, rssWarmupMs: 1_000, rssSamples: 2 },
  enqueueMonitors: 2_000,
  completions: 500,
  startupRuns: 2,
  push: { monitors: 1_000, pushes: 400, pushesPerSecond: 200, pollMonitors: 400, scheduleMonitors: 5 },
  batch: { monitors: 500, pollsPerMonitor: 2 },
  batchIds: { workers: 3, monitors: 200, intervalMs: 1_000, warmupMs: 1_000, measureMs: 2_000, more: [{ intervalMs: 2_000, concurrency: 30, warmupMs: 500, measureMs: 2_000 }] },
  overview: { endedMonitors: 2_000, lastHourChecks: 1_000, runningMonitors: 50, requests: 20 },
  limits: {
    workers: 3, monitors: 200, limit: 50, warmupMs: 2_000, measureMs: 3_000,
    crowd: { workers: 3, monitors: 100, intervalMs: 100, limit: 20, runs: 2, warmupMs: 1_000, measureMs: 2_000 },
  },
  operations: { operations: 100, perSecond: 100, warmup: 20 },
};

/** What README "Scaling" recommends and docker-compose.yml sets; the bench measures jobwatch so configured. */
export const RECOMMENDED_REDIS_CONFIG = 'hz=100,hash-max-listpack-value=1024';

export const DEFAULT_OUTPUT = fileURLToPath(new URL('./results/latest.json', import.meta.url));

/** Reads the bench's environment once, at its entry point; `suite` `core` runs CORE_SCENARIOS unless BENCH_ONLY names others. */
export function loadBenchConfig(env: Record<string, string | undefined>, suite: 'all' | 'core' = 'all'): BenchConfig {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  return Object.freeze({
    quick,
    redisUrl: env.BENCH_REDIS_URL ?? '',
    externalRedis: Boolean(env.BENCH_REDIS_URL),
    postgresUrl: env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisSettings: parseRedisSettings(env.BENCH_REDIS_CONFIG ?? RECOMMENDED_REDIS_CONFIG),
    only: env.BENCH_ONLY || suite === 'all' ? parseOnly(env.BENCH_ONLY) : [...CORE_SCENARIOS],
    suite,
    outputPath: env.BENCH_OUTPUT ?? DEFAULT_OUTPUT,
    concurrency: 100,
    intervalMs: 100,
    ...(quick ? QUICK : FULL),
  });
}

function parseOnly(value: string | undefined): ScenarioName[] {
  if (!value) return [...SCENARIOS];
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new Error(`BENCH_ONLY: unknown scenario ${name}; use some of ${SCENARIOS.join(', ')}`);
    }
  }
  return names as ScenarioName[];
}

function parseRedisSettings(value: string | undefined): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const pair of (value ?? '').split(',').map((item) => item.trim()).filter(Boolean)) {
    const match = /^([a-z0-9-]+)=(\S+)$/.exec(pair);
    if (!match) throw new Error(`BENCH_REDIS_CONFIG: ${pair} is not name=value, e.g. hz=100`);
    settings[match[1]!] = match[2]!;
  }
  return settings;
}
