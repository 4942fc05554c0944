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
import { maxInTrustedWindows, maxInWindow } from '../../test/helpers/arrival-windows.ts';
import { blurredBy, type BlurredSpan } from '../../test/helpers/loop-stalls.ts';

/**
 * (11a) Per-key rate limits. (11a1, 11a2) Accuracy: 3 `jobwatch worker` processes polling N monitors
 * of one host every second (N requests/s wanted) under a limit of `limit`/s, the host's requests
 * counted as they arrive: the mean rate and the most in any sliding 1-s window, against the limit.
 * (11a8) The same under heavy oversubscription (300 monitors every 100 ms against 20/s), in several
 * runs of their own: the most in any sliding 1-s window of each run, and how many runs kept within 1.1x.
 * Cost, in alternating rounds of the shape of (2): (11a6, 11a7) a `jobwatch worker` process as
 * shipped, with the default gate and with a limit that never binds (the GCRA runs at each poll);
 * (11a3-11a5) beneath, the harness, since only it can run without the gate: no gate, the gate as
 * it runs by default (no limits: the Retry-After hold and the circuit are still read at each poll),
 * and the limit that never binds.
 */
export async function limitsScenario(context: ScenarioContext): Promise<Row[]> {
  return [...(await accuracy(context)), ...(await crowd(context)), ...(await cost(context))];
}

/** One accuracy run: worker processes polling monitors of one host under its limit. */
interface LimitedRun {
  workers: number;
  monitors: number;
  intervalMs: number;
  limit: number;
  warmupMs: number;
  measureMs: number;
}

/** What the host saw of one run: arrivals, and the most of them in a sliding 1-s window. */
interface HostCount {
  /** Requests per second over the measured span. */
  mean: number;
  /** The most in any sliding 1-s window (every arrival starting one) that the host's own stalls did not blur. */
  most: number;
  /** How many windows that was judged over, of `arrivals`. */
  judged: number;
  arrivals: number;
  /** The most in any sliding 1-s window, all windows counted as stamped. */
  raw: number;
}

/**
 * Starts `workers` worker processes with the host's limit, seeds `monitors` monitors of it (never
 * ending, their first polls spread over one interval), waits out the warm-up and counts what the
 * host (the bench's status server, a process of its own) saw over the measured span. The host
 * stamps a request when its event loop gets to it: what came while it was descheduled on the busy
 * machine is stamped together at the stall's end, so the windows holding such stamps are not
 * judged (the test does the same: test/integration/rate-limits.test.ts).
 */
async function countAtHost(context: ScenarioContext, name: string, run: LimitedRun): Promise<HostCount> {
  const { config, services } = context;
  const server = await startStatusServer({ BENCH_WATCH_STALLS: '1' });
  const origin = `http://127.0.0.1:${server.ready.port}`;
  const key = `127.0.0.1:${server.ready.port}`;
  const { url: databaseUrl, handle } = await services.database(name);
  const fleet = new JobwatchFleet(services, services.prefix(name), handle);
  const workers: BenchChild<true>[] = [];
  try {
    for (let i = 0; i < run.workers; i++) {
      workers.push(await startBenchChild({
        script: CLI, runWith: 'node', args: ['worker', '--concurrency', String(config.concurrency)],
        env: {
          REDIS_URL: config.redisUrl, DATABASE_URL: databaseUrl, JOBWATCH_PREFIX: fleet.prefix, LOG_LEVEL: 'info',
          JOBWATCH_RATE_LIMITS: `${key}=${run.limit}/s`,
        },
        ready: (line) => (line.includes('worker started') ? true : undefined),
      }));
    }
    // The monitors never end (a million polls to Completed).
    const statusUrl = `${origin}/jobs/1000000/{jobId}`;
    await fleet.seedSpread(monitorInputs(name, run.monitors, { intervalMs: run.intervalMs, statusUrl }), run.intervalMs);
    await sleep(run.warmupMs);
    await times(origin); // what came during the warm-up
    const from = Date.now();
    await sleep(run.measureMs);
    const arrived = (await times(origin)).filter((time) => time >= from && time < from + run.measureMs);
    const blurred = blurredBy(await getJson<BlurredSpan[]>(`${origin}/stalls`));
    const { most, judged } = maxInTrustedWindows(arrived, 1_000, (time) => !blurred(time));
    return { mean: arrived.length / (run.measureMs / 1_000), most, judged, arrivals: arrived.length, raw: maxInWindow(arrived, 1_000) };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await fleet.close();
    await server.stop();
  }
}

/** How a count was judged, for a row's note: `5890 of 6000 windows judged, 207 counting those the host's own stalls blurred`. */
function judgedText(count: HostCount): string {
  return `${count.judged} of ${count.arrivals} windows judged, ${count.raw} counting those the host's own stalls blurred`;
}

async function accuracy(context: ScenarioContext): Promise<Row[]> {
  const { monitors, limit, warmupMs, measureMs, workers } = context.config.limits;
  context.progress(`limits: ${workers} workers, ${monitors} monitors of one host every 1 s, limit ${limit}/s`);
  const count = await countAtHost(context, 'limits', { workers, monitors, intervalMs: 1_000, limit, warmupMs, measureMs });
  const shape = `${workers} worker processes (compiled CLI), ${monitors} monitors of one host every 1 s (${monitors} requests/s wanted), ` +
    `JOBWATCH_RATE_LIMITS=host=${limit}/s; ${measureMs / 1_000} s measured after ${warmupMs / 1_000} s, counted by the status server as requests arrive`;
  return [
    row({
      id: '11a1', measurement: 'rate limit: requests/s observed at the host against the limit', value: count.mean, unit: 'req/s',
      ratio: { value: count.mean / limit, of: `the limit (${limit}/s)` }, target: { on: 'ratio', op: '>=', value: 0.9 }, note: shape,
    }),
    row({
      id: '11a2', measurement: 'rate limit: most requests in any sliding 1-s window', value: count.most, unit: 'req',
      ratio: { value: count.most / limit, of: `the limit (${limit}/s)` }, target: { on: 'ratio', op: '<=', value: WINDOW_TARGET },
      note: `the same run, every arrival starting a window (${judgedText(count)}): admits keep to the limit within GCRA's ${SEND_TOLERANCE_MS} ms tolerance, however late a held poll comes back to its slot`,
    }),
  ];
}

/** The most a sliding 1-s window may hold, as a share of the limit (the issue's target). */
const WINDOW_TARGET = 1.1;

/** (11a8) Heavy oversubscription, in runs of their own: each run's most in a sliding 1-s window. */
async function crowd(context: ScenarioContext): Promise<Row[]> {
  const { workers, monitors, intervalMs, limit, runs, warmupMs, measureMs } = context.config.limits.crowd;
  const wanted = (monitors * 1_000) / intervalMs;
  context.progress(`limits: ${workers} workers, ${monitors} monitors of one host every ${intervalMs} ms (${wanted}/s wanted), limit ${limit}/s, ${runs} runs`);
  const counts: HostCount[] = [];
  for (let run = 1; run <= runs; run++) {
    await settle();
    const count = await countAtHost(context, `limits-crowd-${run}`, { workers, monitors, intervalMs, limit, warmupMs, measureMs });
    counts.push(count);
    context.progress(`limits crowd run ${run}: most in a sliding 1-s window ${count.most} (${(count.most / limit).toFixed(2)}x the limit; ${judgedText(count)}), mean ${count.mean.toFixed(1)}/s`);
  }
  const most = counts.map((count) => count.most);
  const worst = Math.max(...most);
  const within = most.filter((value) => value <= limit * WINDOW_TARGET).length;
  return [
    row({
      id: '11a8', measurement: `rate limit under heavy oversubscription: most requests in any sliding 1-s window, worst of ${runs} runs`, value: worst, unit: 'req',
      samples: most, ratio: { value: worst / limit, of: `the limit (${limit}/s)` }, target: { on: 'ratio', op: '<=', value: WINDOW_TARGET },
      note: `${within}/${runs} runs within ${WINDOW_TARGET}x; each run: ${counts.map((count) => `${count.most} (${(count.most / limit).toFixed(2)}x; ${count.judged}/${count.arrivals} windows judged, ${count.raw} counting all; ${count.mean.toFixed(1)} req/s)`).join(', ')}. ` +
        `${workers} worker processes (compiled CLI), ${monitors} monitors of one host every ${intervalMs} ms (${wanted} requests/s wanted), JOBWATCH_RATE_LIMITS=host=${limit}/s; ` +
        `each run ${measureMs / 1_000} s measured after ${warmupMs / 1_000} s, every arrival at the status server starting a window`,
    }),
  ];
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
function times(origin: string): Promise<number[]> {
  return getJson<number[]>(`${origin}/times`);
}

async function getJson<T>(url: string): Promise<T> {
  const response = await request(url);
  return (await response.body.json()) as T;
}
