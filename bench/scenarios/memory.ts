import { CLI, startBenchChild } from '../harness/child-process.ts';
import { JobwatchFleet, monitorInputs } from '../harness/jobwatch-fleet.ts';
import { median, settle, sleep } from '../harness/measure.ts';
import { rssMiB } from '../harness/process-rss.ts';
import { row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import type { BenchServices } from '../harness/services.ts';

/** A typical monitor: a status URL of ordinary length, a 1-minute interval, no metadata. */
const TYPICAL_STATUS_URL = 'https://jobs.example.com/api/v1/jobs/{jobId}/status';
const TYPICAL_INTERVAL_MS = 60_000;
/** Job hashes whose MEMORY USAGE is sampled for the cross-check. */
const SAMPLED_JOBS = 500;

/**
 * (6) Memory. Redis bytes per waiting monitor: INFO used_memory before and after adding N delayed
 * monitors, divided by N, with a cross-check from MEMORY USAGE of the keys themselves (other
 * clients of a shared Redis move used_memory too). Then the RSS of a real `jobwatch worker`
 * process at steady state, running `concurrency` polls at once.
 */
export async function memoryScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { handle, url } = await services.database('memory');
  const fleet = new JobwatchFleet(services, services.prefix('memory'), handle);
  try {
    const redisRows = await redisBytesPerMonitor(context, fleet);
    await services.clearPrefix(fleet.prefix);
    return [...redisRows, ...(await workerRss(context, fleet, url))];
  } finally {
    await fleet.close();
    await services.clearPrefix(fleet.prefix);
  }
}

async function redisBytesPerMonitor(context: ScenarioContext, fleet: JobwatchFleet): Promise<Row[]> {
  const { services } = context;
  const monitors = context.config.memory.monitors;
  await settle(1_000);
  const before = await usedMemory(services);
  await fleet.seedSpread(monitorInputs('job', monitors, { intervalMs: TYPICAL_INTERVAL_MS, statusUrl: TYPICAL_STATUS_URL }), TYPICAL_INTERVAL_MS);
  await settle(1_000);
  const after = await usedMemory(services);
  const keyBytes = await keyBytesPerMonitor(services, fleet.prefix, monitors);
  return [
    row({
      id: '6a', measurement: 'Redis bytes per waiting monitor (INFO used_memory)', value: (after - before) / monitors, unit: 'B',
      target: { on: 'value', op: '<=', value: 1_024 },
      note: `${monitors} delayed monitors (status URL, 1-minute interval, no metadata); used_memory ${before} -> ${after}; ` +
        `cross-check, MEMORY USAGE of their keys: ${keyBytes.toFixed(0)} B per monitor`,
    }),
  ];
}

async function usedMemory(services: BenchServices): Promise<number> {
  const info = await services.redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** A sample of job hashes, plus the queue's shared keys (delayed set, event stream) divided by N. */
async function keyBytesPerMonitor(services: BenchServices, prefix: string, monitors: number): Promise<number> {
  const usage = async (key: string) => Number((await services.redis.memory('USAGE', key, 'SAMPLES', '0')) ?? 0);
  const jobs: number[] = [];
  for (let i = 0; i < Math.min(SAMPLED_JOBS, monitors); i++) {
    jobs.push(await usage(`${prefix}:polls:m-job-${Math.floor((i / SAMPLED_JOBS) * monitors)}`));
  }
  const shared = (await usage(`${prefix}:polls:delayed`)) + (await usage(`${prefix}:polls:events`)) + (await usage(`${prefix}:polls:id`));
  return median(jobs) + shared / monitors;
}

/**
 * RSS of a `jobwatch worker` process (the compiled CLI, as the package ships it) polling at full
 * speed with `concurrency` polls in flight. Its idle RSS is row 9e, in the startup scenario.
 */
async function workerRss(context: ScenarioContext, fleet: JobwatchFleet, databaseUrl: string): Promise<Row[]> {
  const { config } = context;
  const { rssMonitors, rssWarmupMs, rssSamples } = config.memory;
  const worker = await startBenchChild({
    script: CLI,
    runWith: 'node',
    args: ['worker', '--concurrency', String(config.concurrency)],
    env: {
      REDIS_URL: config.redisUrl, DATABASE_URL: databaseUrl, JOBWATCH_PREFIX: fleet.prefix, LOG_LEVEL: 'info',
      JOBWATCH_STATUS_HOOK: 'bench/harness/status-hook.mjs',
    },
    ready: (line) => (line.includes('worker started') ? true : undefined),
  });
  const sample = async () => {
    const samples: number[] = [];
    for (let i = 0; i < rssSamples; i++) {
      await sleep(1_000);
      samples.push(await rssMiB(worker.process.pid!));
    }
    return samples;
  };
  try {
    await fleet.seedSpread(monitorInputs('rss', rssMonitors, { intervalMs: 100 }), 100);
    await sleep(rssWarmupMs);
    const busy = await sample();
    const how = `median of ${rssSamples} samples 1 s apart`;
    return [
      row({
        id: '6c', measurement: `worker process RSS at steady state, concurrency ${config.concurrency}`, value: median(busy), unit: 'MiB', samples: busy,
        note: `polling ${rssMonitors} monitors at a 100 ms interval through a status hook, after ${rssWarmupMs / 1000} s; ${how}`,
      }),
    ];
  } finally {
    await worker.stop();
  }
}

