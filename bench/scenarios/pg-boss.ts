import { PgBoss, type Job, type JobInsert } from 'pg-boss';
import type { MonitorContext } from '../../src/monitor/context.ts';
import { monitorInputs, toContexts } from '../harness/jobwatch-fleet.ts';
import { EventCounter, rounds, settle, sleep, WindowRecorder } from '../harness/measure.ts';
import { pairedRatio, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { latenessRows, offeredRate } from './lateness.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';
import { shippedRound } from '../harness/shipped-rounds.ts';

/**
 * A pg-boss "monitor" job carries what a jobwatch poll job carries, the monitor's context (its
 * poll count, and `nextCheckAt`: when the poll fell due), so that both queues move the same bytes.
 */
type PollData = MonitorContext;

const QUEUE = 'polls';

/**
 * (5) pg-boss, the Postgres-based peer, running the monitor shape: each poll job, once handled,
 * sends the monitor's next poll with `startAfter`. Tuned as its docs suggest for throughput:
 * batch fetch (`batchSize`), several fetch loops, `burstWhenBatchFull` (fetch again at once while
 * batches come back full) and the shortest polling interval (0.5 s); the next polls of a batch
 * are sent with one `insert`. Throughput in the shape of (2), in rounds alternating with jobwatch's;
 * lateness at the offered load of (4).
 */
export async function pgBossScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pollsPerMonitor } = config.pgBoss;
  const { intervalMs, warmup } = config;
  // A jobwatch worker process as shipped runs the same rounds beside pg-boss's, so that the ratio pairs rounds run under the same load.
  const shipped = await ShippedJobwatch.start(services, 'pgboss-jobwatch');
  const jobwatch = async (n: number, k: number) => (await shippedRound(context, shipped, { monitors: n, pollsPerMonitor: k, intervalMs })).rate;
  const boss = new PgBoss({ connectionString: await services.emptyDatabase('pgboss'), max: 10, application_name: 'jobwatch-bench' });
  boss.on('error', (error: Error) => context.progress(`pg-boss error: ${error.message}`));
  await boss.start();
  try {
    context.progress('pg-boss: warm-up');
    await throughputRound(context, boss, warmup.monitors, warmup.pollsPerMonitor, intervalMs);
    const samples: number[] = [];
    const beside: number[] = [];
    for (let round = 1; round <= config.rounds; round++) {
      await settle();
      beside.push(await jobwatch(monitors, pollsPerMonitor));
      await settle();
      samples.push(await throughputRound(context, boss, monitors, pollsPerMonitor, intervalMs));
      context.progress(`pg-boss round ${round}: ${samples.at(-1)!.toFixed(0)} polls/s (jobwatch beside it: ${beside.at(-1)!.toFixed(0)})`);
    }
    const lateness = await latenessRun(context, boss);
    return [
      row({ id: '5a', measurement: 'pg-boss, same monitor shape', value: rounds(samples).median, unit: 'polls/s', samples, note: tuning(context) }),
      row({
        id: '5b', measurement: 'throughput, jobwatch worker process / pg-boss (5a), same rounds', value: pairedRatio(beside, samples), unit: 'x', samples: beside,
        target: { on: 'value', op: '>=', value: 1.5 },
        note: `jobwatch as in (2), in rounds alternating with pg-boss's: ${rounds(beside).median.toFixed(0)} polls/s`,
      }),
      ...latenessComparison(context, lateness.summary().p99),
      ...latenessRows('5c', 'pg-boss', lateness, lateness.window!, context.figures.get('offeredRate')!),
    ];
  } finally {
    await boss.stop({ graceful: false, close: true, timeout: 5_000 });
    await shipped.close();
  }
}

function tuning(context: ScenarioContext): string {
  const { batchSize, localConcurrency } = context.config.pgBoss;
  const { monitors, pollsPerMonitor } = context.config.pgBoss;
  return `${monitors} monitors x ${pollsPerMonitor} polls; batchSize ${batchSize} x localConcurrency ${localConcurrency} (${batchSize * localConcurrency} in flight), ` +
    'burstWhenBatchFull, pollingIntervalSeconds 0.5, next polls sent with one insert per batch; jobs carry the monitor context, as jobwatch\'s do';
}

/** jobwatch ÷ pg-boss p99 lateness at the same offered load (lower is better). */
function latenessComparison(context: ScenarioContext, pgBossP99: number): Row[] {
  const jobwatchP99 = context.figures.get('latenessP99');
  if (jobwatchP99 === undefined) return [];
  return [row({
    id: '5b', measurement: 'p99 lateness, jobwatch (4) / pg-boss (5c)', value: jobwatchP99 / pgBossP99, unit: 'x',
    target: { on: 'value', op: '<=', value: 0.333 },
  })];
}

/** Starts a worker that handles each batch with `handle` and sends the next polls it returns. */
async function work(context: ScenarioContext, boss: PgBoss, handle: (job: Job<PollData>) => JobInsert<PollData> | undefined): Promise<string> {
  const { batchSize, localConcurrency } = context.config.pgBoss;
  return boss.work<PollData>(
    QUEUE,
    { batchSize, localConcurrency, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
    async (jobs) => {
      const next = jobs.map(handle).filter((job): job is JobInsert<PollData> => job !== undefined);
      if (next.length > 0) await boss.insert(QUEUE, next);
    },
  );
}

async function freshQueue(boss: PgBoss): Promise<void> {
  await boss.deleteQueue(QUEUE).catch(() => {});
  await boss.createQueue(QUEUE, { retentionSeconds: 3_600, deleteAfterSeconds: 60 });
}

async function insertAll(boss: PgBoss, jobs: JobInsert<PollData>[]): Promise<void> {
  for (let start = 0; start < jobs.length; start += 1_000) await boss.insert(QUEUE, jobs.slice(start, start + 1_000));
}

/** The next poll of a monitor, due `intervalMs` after this one started, as jobwatch re-schedules it. */
function nextPoll(job: Job<PollData>, startedAt: number, intervalMs: number): JobInsert<PollData> {
  const nextCheckAt = startedAt + intervalMs;
  return { data: { ...job.data, polls: job.data.polls + 1, nextCheckAt }, startAfter: new Date(nextCheckAt) };
}

/** N monitors of the bench's shape (a status URL, the given interval), first due `dueAt(i)`. */
function firstPolls(monitors: number, intervalMs: number, dueAt: (monitor: number) => number): JobInsert<PollData>[] {
  const contexts = toContexts(monitorInputs('m', monitors, { intervalMs, statusUrl: 'https://jobs.example.com/api/v1/jobs/{jobId}/status' }));
  return contexts.map((context, monitor) => ({ data: { ...context, nextCheckAt: dueAt(monitor) }, startAfter: new Date(dueAt(monitor)) }));
}

async function throughputRound(context: ScenarioContext, boss: PgBoss, monitors: number, pollsPerMonitor: number, intervalMs: number): Promise<number> {
  await freshQueue(boss);
  const now = Date.now();
  await insertAll(boss, firstPolls(monitors, intervalMs, () => now));
  const counter = new EventCounter(monitors * pollsPerMonitor);
  const workId = await work(context, boss, (job) => {
    counter.tick();
    return job.data.polls + 1 >= pollsPerMonitor ? undefined : nextPoll(job, Date.now(), intervalMs);
  });
  try {
    return await counter.rate();
  } finally {
    await boss.offWork(QUEUE, { id: workId, wait: true });
  }
}

/** The lateness run of (4), on pg-boss: the same number of monitors, interval and spread. */
async function latenessRun(context: ScenarioContext, boss: PgBoss): Promise<WindowRecorder & { window?: { count: number; seconds: number } }> {
  const { intervalMs, warmupMs, measureMs } = context.config.lateness;
  const monitors = Math.max(1, Math.round((offeredRate(context) * intervalMs) / 1000));
  await freshQueue(boss);
  const firstDue = Date.now() + 200;
  await insertAll(boss, firstPolls(monitors, intervalMs, (monitor) => firstDue + Math.floor((monitor / monitors) * intervalMs)));
  const recorder: WindowRecorder & { window?: { count: number; seconds: number } } = new WindowRecorder();
  const workId = await work(context, boss, (job) => {
    const startedAt = Date.now();
    recorder.record(startedAt - job.data.nextCheckAt);
    return nextPoll(job, startedAt, intervalMs);
  });
  try {
    context.progress(`pg-boss lateness: ${monitors} monitors every ${intervalMs} ms; warm-up ${warmupMs / 1000} s, then ${measureMs / 1000} s measured`);
    await sleep(warmupMs);
    recorder.window = await recorder.recordFor(measureMs);
    return recorder;
  } finally {
    await boss.offWork(QUEUE, { id: workId, wait: false });
  }
}
