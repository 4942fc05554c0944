import { request } from 'undici';
import { SEND_TOLERANCE_MS } from '../../src/monitor/gate/decisions.ts';
import { RedisRequestGate } from '../../src/gate/redis-gate.ts';
import { rateKeyOf } from '../../src/monitor/gate/rate-key.ts';
import { NO_RATE_LIMITS, parseRateLimits, type RateLimits } from '../../src/monitor/gate/rate-limits.ts';
import { DEFAULTS } from '../../src/config/config.ts';
import { GatedStatusProvider } from '../../src/monitor/gate/gated-provider.ts';
import { CLI, startBenchChild, type BenchChild } from '../harness/child-process.ts';
import { JobwatchFleet, monitorInputs } from '../harness/jobwatch-fleet.ts';
import { InMemoryStatusProvider } from '../harness/memory-status.ts';
import { rounds, settle, sleep } from '../harness/measure.ts';
import { pairedRatio, roundPairs, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';
import { shippedRound, startStatusServer } from '../harness/shipped-rounds.ts';
import { runJobwatchRound } from '../harness/in-process-round.ts';


/**
 * (11a) Per-key rate limits. (11a1, 11a2) Accuracy: 3 `jobwatch worker` processes polling N monitors
 * of one host every second (N requests/s wanted) under a limit of `limit`/s, the host's requests
 * counted as they arrive: the mean rate and the most in any 1-s window, against the limit.
 * Cost, in alternating rounds of the shape of (2): (11a6, 11a7) a `jobwatch worker` process as
 * shipped, with the default gate and with a limit that never binds (the GCRA runs at each poll);
 * (11a3-11a5) beneath, the harness, since only it can run without the gate: no gate, the gate as
 * it runs by default (no limits: the Retry-After hold and the circuit are still read at each poll),
 * and the limit that never binds.
 */
export async function limitsScenario(context: ScenarioContext): Promise<Row[]> {
  return [...(await accuracy(context)), ...(await cost(context))];
}

async function accuracy(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, limit, warmupMs, measureMs, workers: workerCount } = config.limits;
  const server = await startStatusServer();
  const origin = `http://127.0.0.1:${server.ready.port}`;
  const key = `127.0.0.1:${server.ready.port}`;
  const { url: databaseUrl, handle } = await services.database('limits');
  const fleet = new JobwatchFleet(services, services.prefix('limits'), handle);
  const workers: BenchChild<true>[] = [];
  try {
    context.progress(`limits: ${workerCount} workers, ${monitors} monitors of one host every 1 s, limit ${limit}/s`);
    for (let i = 0; i < workerCount; i++) {
      workers.push(await startBenchChild({
        script: CLI, runWith: 'node', args: ['worker', '--concurrency', String(config.concurrency)],
        env: {
          REDIS_URL: config.redisUrl, DATABASE_URL: databaseUrl, JOBWATCH_PREFIX: fleet.prefix, LOG_LEVEL: 'info',
          JOBWATCH_RATE_LIMITS: `${key}=${limit}/s`,
        },
        ready: (line) => (line.includes('worker started') ? true : undefined),
      }));
    }
    // The monitors never end (a million polls to Completed), each due every second, their first polls spread over one.
    await fleet.seedSpread(monitorInputs('limited', monitors, { intervalMs: 1_000, statusUrl: `${origin}/jobs/1000000/{jobId}` }), 1_000);
    await sleep(warmupMs);
    await times(origin); // what came during the warm-up
    const from = Date.now();
    await sleep(measureMs);
    const arrived = (await times(origin)).filter((time) => time >= from && time < from + measureMs);
    const mean = arrived.length / (measureMs / 1_000);
    const most = maxInWindow(arrived, 1_000);
    const shape = `${workerCount} worker processes (compiled CLI), ${monitors} monitors of one host every 1 s (${monitors} requests/s wanted), ` +
      `JOBWATCH_RATE_LIMITS=host=${limit}/s; ${measureMs / 1_000} s measured after ${warmupMs / 1_000} s, counted by the status server as requests arrive`;
    return [
      row({
        id: '11a1', measurement: 'rate limit: requests/s observed at the host against the limit', value: mean, unit: 'req/s',
        ratio: { value: mean / limit, of: `the limit (${limit}/s)` }, target: { on: 'ratio', op: '>=', value: 0.9 }, note: shape,
      }),
      row({
        id: '11a2', measurement: 'rate limit: most requests in any 1-s window', value: most, unit: 'req',
        ratio: { value: most / limit, of: `the limit (${limit}/s)` }, target: { on: 'ratio', op: '<=', value: 1.1 },
        note: `the same run: admits keep to the limit within GCRA's ${SEND_TOLERANCE_MS} ms tolerance, however late a held poll comes back to its slot; the host counts them as they arrive`,
      }),
    ];
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await fleet.close();
    await server.stop();
  }
}

/** A rate limit that never binds: the GCRA runs at each poll and never holds one. */
const NEVER_BINDS = '*=100000/s';

/** The gate variants of the cost rows: shipped worker processes (the config can add a limit, not remove the gate), and the harness. */
type Variant = 'shipped' | 'shippedLimit' | 'none' | 'holds' | 'limit';

async function cost(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pollsPerMonitor } = config.throughput;
  const { handle } = await services.database('limits-cost');
  const fleet = new JobwatchFleet(services, services.prefix('limits-cost'), handle);
  const shipped = await ShippedJobwatch.start(services, 'limits-shipped');
  const never = parseRateLimits(NEVER_BINDS);
  if (!never.ok) throw new Error(never.problem);
  const harnessLimits: Record<'none' | 'holds' | 'limit', RateLimits | undefined> = { none: undefined, holds: NO_RATE_LIMITS, limit: never.limits };
  const round = async (variant: Variant, n: number, k: number): Promise<number> => {
    if (variant === 'shipped' || variant === 'shippedLimit') {
      const env: Record<string, string> = variant === 'shippedLimit' ? { JOBWATCH_RATE_LIMITS: NEVER_BINDS } : {};
      return (await shippedRound(context, shipped, { monitors: n, pollsPerMonitor: k, intervalMs: config.intervalMs }, env)).rate;
    }
    const limits = harnessLimits[variant];
    const memory = new InMemoryStatusProvider(k);
    return runJobwatchRound(context, fleet, limits === undefined ? memory : (connection) => new GatedStatusProvider(
      memory,
      // As a worker process makes it: on the workers' connection, under the prefix, with the default circuit settings.
      new RedisRequestGate(connection, { prefix: fleet.prefix, limits, hostFailures: DEFAULTS.hostFailures, probeEveryMs: DEFAULTS.hostProbeEveryMs }),
      (monitor) => rateKeyOf(monitor),
    ), { monitors: n, pollsPerMonitor: k });
  };
  const variants: readonly Variant[] = ['shipped', 'shippedLimit', 'none', 'holds', 'limit'];
  try {
    context.progress('limits: cost of the gate, warm-up');
    for (const variant of variants) await round(variant, config.warmup.monitors, config.warmup.pollsPerMonitor);
    const samples: Record<Variant, number[]> = { shipped: [], shippedLimit: [], none: [], holds: [], limit: [] };
    for (let r = 1; r <= config.rounds; r++) {
      for (const variant of variants) {
        await settle();
        samples[variant].push(await round(variant, monitors, pollsPerMonitor));
      }
      context.progress(`limits round ${r}: ${variants.map((variant) => `${variant} ${samples[variant].at(-1)!.toFixed(0)}/s`).join(', ')}`);
    }
    const versus = (variant: Variant, baseline: Variant, of: string) => ({
      value: rounds(samples[variant]).median, unit: 'polls/s', samples: samples[variant], rounds: roundPairs(samples[variant], samples[baseline]),
      ratio: { value: pairedRatio(samples[variant], samples[baseline]), of },
    });
    const shape = `${monitors} monitors x ${pollsPerMonitor} polls, in-memory status (one rate key), concurrency ${config.concurrency}`;
    return [
      row({
        id: '11a6', measurement: 'jobwatch worker process as shipped, the default gate (no limits)', value: rounds(samples.shipped).median, unit: 'polls/s',
        samples: samples.shipped, rounds: roundPairs(samples.shipped), note: `${shape}; the throughput of (2); no config switch removes the gate, so its own cost is measured by the harness below`,
      }),
      row({
        id: '11a7', measurement: `jobwatch worker process as shipped, JOBWATCH_RATE_LIMITS=${NEVER_BINDS} (never binds)`, ...versus('shippedLimit', 'shipped', '(11a6)'),
        note: 'the cost of the GCRA in the gate\'s script: one more key read and written per poll',
      }),
      row({ id: '11a3', measurement: 'harness: jobwatch, in-memory status, no request gate', value: rounds(samples.none).median, unit: 'polls/s', samples: samples.none, note: shape }),
      row({
        id: '11a4', measurement: 'harness: jobwatch, with the gate as by default (no limits; holds and circuits read per poll)', ...versus('holds', 'none', '(11a3)'),
        note: 'one Redis script before each poll (the admits of one key in one turn of the event loop share it); nothing written after a good answer',
      }),
      row({
        id: '11a5', measurement: `harness: jobwatch, with a rate limit that never binds (${NEVER_BINDS})`, ...versus('limit', 'none', '(11a3)'),
        target: { on: 'ratio', op: '>=', value: 0.85 }, note: 'the same script, with the GCRA: one more key read and written',
      }),
    ];
  } finally {
    await fleet.close();
    await shipped.close();
  }
}

/** The arrival times the status server kept since it was last asked. */
async function times(origin: string): Promise<number[]> {
  const response = await request(`${origin}/times`);
  return (await response.body.json()) as number[];
}

/** The most of `sorted` (epoch ms) in any window of `windowMs`. */
function maxInWindow(sorted: readonly number[], windowMs: number): number {
  let most = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
