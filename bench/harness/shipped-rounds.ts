import { request } from 'undici';
import { startBenchChild, type BenchChild } from './child-process.ts';
import { startCostWindow, type PollCost } from './costs.ts';
import { monitorInputs, toContexts, type BenchSource } from './jobwatch-fleet.ts';
import { settle } from './measure.ts';
import type { ScenarioContext } from './scenario.ts';
import type { ShippedJobwatch } from './shipped-jobwatch.ts';

/** One timed round of polls: polls/s from the first to the last, and what each cost. */
export interface RoundResult {
  rate: number;
  cost: PollCost;
}

/** N monitors, K polls each, every `intervalMs` (all due at once at the start). */
export interface RoundShape {
  monitors: number;
  pollsPerMonitor: number;
  intervalMs: number;
}

/**
 * One round of the shipped worker: N monitors started through the API, then one `jobwatch worker`
 * process (a new one, as after a deploy) polls them K times each through the status hook, which
 * answers Completed at the K-th. Polls/s from the first status call to the last (the hook's
 * clock); costs from the first call until every final record is written; then each monitor is
 * checked to have ended after exactly K polls.
 */
export async function shippedRound(
  context: ScenarioContext, jobwatch: ShippedJobwatch, shape: RoundShape, env: Record<string, string> = {},
): Promise<RoundResult> {
  const { monitors, pollsPerMonitor, intervalMs } = shape;
  await jobwatch.reset();
  await jobwatch.startMonitors(monitorInputs('m', monitors, { intervalMs }));
  await settle();
  const worker = await jobwatch.startWorker(context.config.concurrency, {
    BENCH_POLLS: String(monitors * pollsPerMonitor), BENCH_POLLS_TO_COMPLETE: String(pollsPerMonitor), ...env,
  });
  try {
    return await timedRound(context, worker, monitors * pollsPerMonitor, () => jobwatch.waitForEnds(monitors, pollsPerMonitor));
  } finally {
    await worker.stop();
  }
}

/**
 * One round of the shipped worker reading statuses from the bench's status server (status-server.ts,
 * started by `startStatusServer`): N monitors on a statusUrl, a batchStatusUrl or a source, started
 * through the API, polled K times each by a new `jobwatch worker` process. Polls/s from the first
 * status request the server saw to the last (less the last request's share, so that single requests
 * count as `shippedRound` counts polls), and the requests per poll; then every monitor is checked
 * to have ended after K polls.
 */
export async function statusServerRound(
  context: ScenarioContext, jobwatch: ShippedJobwatch, origin: string, shape: BenchSource & { monitors: number; pollsPerMonitor: number },
): Promise<{ rate: number; requestsPerPoll: number }> {
  const { monitors, pollsPerMonitor } = shape;
  await jobwatch.reset();
  await jobwatch.startMonitors(monitorInputs('m', monitors, { ...shape, intervalMs: context.config.intervalMs }));
  await settle();
  await arrivals(origin); // the server starts its record over
  const worker = await jobwatch.startWorker(context.config.concurrency);
  try {
    await jobwatch.waitForEnds(monitors, pollsPerMonitor);
  } finally {
    await worker.stop();
  }
  const times = await arrivals(origin);
  const polls = monitors * pollsPerMonitor;
  return { rate: (polls * (1 - 1 / times.length)) / ((times.at(-1)! - times[0]!) / 1000), requestsPerPoll: times.length / polls };
}

/** The bench's status server (status-server.ts) in its own process, recording arrivals for `statusServerRound`; `env` adds its settings. */
export function startStatusServer(env: Record<string, string> = {}): Promise<BenchChild<{ port: number }>> {
  return startBenchChild({
    script: 'bench/harness/status-server.ts', env: { BENCH_RECORD_TIMES: '1', ...env }, ready: (line) => JSON.parse(line) as { port: number },
  });
}

/** When each status request since the last call arrived at the status server (epoch ms). */
async function arrivals(origin: string): Promise<number[]> {
  return (await (await request(`${origin}/times`)).body.json()) as number[];
}

/** The bare loops: BullMQ's step-job pattern (`updateData` + `moveToDelayed`), or `moveToDelayed` alone (the ceiling). */
export type BareVariant = 'step-job' | 'ceiling';

/**
 * One round of a bare BullMQ loop (bare-bullmq-loop.ts) in a process of its own, a new one each
 * round as the shipped worker's is, on jobs that carry a monitor's context, timed as `shippedRound`.
 */
export async function bareRound(context: ScenarioContext, variant: BareVariant, shape: RoundShape): Promise<RoundResult> {
  const { config, services } = context;
  const prefix = services.prefix(variant);
  const loop = await startBareLoop(context, variant, prefix, {
    BENCH_MONITORS: String(shape.monitors), BENCH_POLLS: String(shape.monitors * shape.pollsPerMonitor),
    BENCH_POLLS_TO_COMPLETE: String(shape.pollsPerMonitor), BENCH_INTERVAL_MS: String(shape.intervalMs), BENCH_CONCURRENCY: String(config.concurrency),
  });
  try {
    return await timedRound(context, loop, shape.monitors * shape.pollsPerMonitor, async () => {
      await loop.reports.next('finished');
    });
  } finally {
    await loop.stop();
    await services.clearPrefix(prefix);
  }
}

/** A bare loop process on its own prefix; `env` sets its shape (see bare-bullmq-loop.ts). */
export function startBareLoop(context: ScenarioContext, variant: BareVariant, prefix: string, env: Record<string, string>): Promise<BenchChild<true>> {
  // The context a jobwatch monitor of the bench's shape carries; each job gets a copy under its own id.
  const template = toContexts(monitorInputs('m', 1, { intervalMs: Number(env.BENCH_INTERVAL_MS) }))[0]!;
  return startBenchChild({
    script: 'bench/harness/bare-bullmq-loop.ts', report: true, ready: (line) => (line === 'ready' ? true : undefined),
    env: {
      REDIS_URL: context.config.redisUrl, BENCH_PREFIX: prefix, BENCH_QUEUE: variant, BENCH_CONTEXT: JSON.stringify(template),
      BENCH_WRITE_CONTEXT: variant === 'step-job' ? '1' : '0', BENCH_JITTER: String(template.schedule?.jitter ?? 0), ...env,
    },
  });
}

/** Times a round from the process's `first` report to its `timed` one; costs from `first` until `ended` resolves. */
async function timedRound(context: ScenarioContext, child: BenchChild<true>, polls: number, ended: () => Promise<void>): Promise<RoundResult> {
  await child.reports.next('first');
  const costs = await startCostWindow(child.pid, context.services.redis);
  const timed = await child.reports.next('timed');
  await ended();
  const cost = await costs(polls);
  return { rate: (Number(timed.polls) - 1) / (Number(timed.ms) / 1000), cost };
}
