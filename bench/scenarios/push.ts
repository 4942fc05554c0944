import { sql } from 'drizzle-orm';
import { Agent, request } from 'undici';
import { withOverrides } from '../../src/config/config.ts';
import { jobIdOf, type MonitorContext } from '../../src/monitor/context.ts';
import { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import type { MonitorInput } from '../../src/monitor/input.ts';
import type { StatusReading } from '../../src/monitor/reading.ts';
import type { StatusProvider } from '../../src/monitor/status-provider.ts';
import { JobwatchFleet } from '../harness/jobwatch-fleet.ts';
import { settle, sleep, summarize, waitUntil } from '../harness/measure.ts';
import { row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';

/** A job service in the worker's process: each job is running until its `doneAt`, then Completed; it counts calls. */
class TimedJobs implements StatusProvider {
  readonly doneAt = new Map<string, number>();
  readonly calls = new Map<string, number>();
  async read(context: MonitorContext): Promise<StatusReading> {
    const jobId = jobIdOf(context);
    this.calls.set(jobId, (this.calls.get(jobId) ?? 0) + 1);
    const done = Date.now() >= (this.doneAt.get(jobId) ?? Number.POSITIVE_INFINITY);
    return { ok: true, status: done ? 'Completed' : 'Processing', body: null };
  }
  async close(): Promise<void> {}
}

/**
 * (10) Push and schedules. (10a) push-to-row latency: a `jobwatch server` and a `jobwatch worker`
 * process as shipped; pushes at a fixed rate over HTTP to the server, each to another of N running
 * monitors (polled every minute meanwhile), from the POST sent to the row written (its
 * `recorded_at`, Postgres's clock on this machine), beside (10b) the same figure for polling at a
 * 1 s interval: from the moment the job is done to its row. (10c/10d) status calls a 30-minute job
 * costs with a fixed 1-minute interval against backoff {factor 1.5, max 5m} from 5 s, run with time
 * scaled down `TIME_SCALE` times and counted by the job service (the harness: intervals that short
 * need a config the shipped worker refuses).
 */
export async function pushScenario(context: ScenarioContext): Promise<Row[]> {
  return [...(await pushLatency(context)), ...(await statusCalls(context))];
}

async function pushLatency(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pushes, pushesPerSecond, pollMonitors } = config.push;
  const jobwatch = await ShippedJobwatch.start(services, 'push');
  const worker = await jobwatch.startWorker(config.concurrency);
  const agent = new Agent({ connections: 64, keepAliveTimeout: 60_000 });
  try {
    // Monitors polled every minute, their first polls spread over that minute: the background a push lands in.
    const inputs = (prefix: string, n: number, interval: string): MonitorInput[] => Array.from({ length: n }, (_, i) => ({
      jobId: `${prefix}-${i}`, statusHook: true, interval, firstPollIn: interval, jitter: 1, expireIn: '2h',
    }));
    context.progress(`push: starting ${monitors} monitors`);
    await jobwatch.startMonitors(inputs('push', monitors, '1m'));
    await settle();
    context.progress(`push: ${pushes} pushes at ${pushesPerSecond}/s`);
    // A warm-up second first, not measured: the pusher's connections open, the code paths warm.
    const warmup = Math.min(pushesPerSecond, Math.floor(pushes / 5));
    const warm = await pushSeries(jobwatch.url, agent, Array.from({ length: warmup }, (_, i) => `push-${pushes + i}`), pushesPerSecond);
    await rowsRecorded(jobwatch, [...warm.sentAt.keys()]);
    const series = await pushSeries(jobwatch.url, agent, Array.from({ length: pushes }, (_, i) => `push-${i}`), pushesPerSecond);
    // From the push sent, not its answer: the worker may write the row before the answer is read.
    const pushRows = await rowsRecorded(jobwatch, [...series.sentAt.keys()]);
    const pushLatencies = [...series.sentAt].map(([id, sent]) => pushRows.get(id)! - sent);

    // The same fleet, polled at 1 s: jobs done at spread moments (the hook reads the moment from the id); latency from done to row.
    context.progress(`push: ${pollMonitors} monitors polled every 1 s, their jobs done over ${pushes / pushesPerSecond} s`);
    const spreadMs = (pushes / pushesPerSecond) * 1000;
    // Done from after the monitors are started and polling (starting them takes well under 2 ms each).
    const doneFrom = Date.now() + 2_000 + 2 * pollMonitors;
    const doneAt = new Map<string, number>();
    for (let i = 0; i < pollMonitors; i++) {
      const at = doneFrom + Math.floor((i / pollMonitors) * spreadMs);
      doneAt.set(`poll-${i}-done-${at}`, at);
    }
    await jobwatch.startMonitors([...doneAt.keys()].map((jobId) => ({ jobId, statusHook: true, interval: '1s', expireIn: '2h' })));
    const pollRows = await rowsRecorded(jobwatch, [...doneAt.keys()]);
    const pollLatencies = [...doneAt].map(([id, at]) => pollRows.get(id)! - at);

    const push = summarize(pushLatencies);
    const trip = summarize(series.roundTrips);
    const poll = summarize(pollLatencies);
    const note = `\`jobwatch server\` and \`jobwatch worker --concurrency ${config.concurrency}\` as shipped; ${pushes} pushes at ${pushesPerSecond}/s ` +
      `(after ${warmup} unmeasured) over HTTP to ${monitors} running monitors (each polled every minute meanwhile); to each row's recorded_at`;
    return [
      row({ id: '10a', measurement: 'push to row latency p50', value: push.p50, unit: 'ms', note }),
      row({ id: '10a', measurement: 'push to row latency p99', value: push.p99, unit: 'ms', target: { on: 'value', op: '<=', value: 250 } }),
      row({ id: '10a', measurement: 'push request round trip p50 / p99 (for reading)', value: trip.p50, unit: 'ms', note: `p99 ${trip.p99.toFixed(0)} ms` }),
      row({ id: '10b', measurement: 'poll at 1 s: job done to row latency p50', value: poll.p50, unit: 'ms', note: `${pollMonitors} monitors, jobs done at spread moments over ${spreadMs / 1000} s` }),
      row({ id: '10b', measurement: 'poll at 1 s: job done to row latency p99', value: poll.p99, unit: 'ms', ratio: { value: poll.p99 / push.p99, of: '(10a) p99' } }),
    ];
  } finally {
    await agent.close();
    await worker.stop();
    await jobwatch.close();
  }
}

/** Waits until each monitor's final record is written; resolves with when each was (`recorded_at`, epoch ms). */
async function rowsRecorded(jobwatch: ShippedJobwatch, monitorIds: string[]): Promise<Map<string, number>> {
  let rows: { id: string; at: number }[] = [];
  await waitUntil(async () => {
    rows = (await jobwatch.database.db.execute(sql`
      select monitor_id as id, extract(epoch from recorded_at) * 1000 as at from monitor_results where monitor_id in ${monitorIds}`)) as unknown as { id: string; at: number }[];
    return rows.length === monitorIds.length;
  }, `${monitorIds.length} final records`);
  return new Map(rows.map((r) => [r.id, Number(r.at)]));
}

/**
 * Pushes `Completed` to each monitor id at `perSecond` over HTTP; resolves when every push has
 * answered 200, with when each was sent and the round trips.
 */
async function pushSeries(serverUrl: string, agent: Agent, ids: string[], perSecond: number): Promise<{ sentAt: Map<string, number>; roundTrips: number[] }> {
  const sentAt = new Map<string, number>(); // epoch ms, with fractions, to compare with the rows' recorded_at
  const roundTrips: number[] = [];
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (const [i, id] of ids.entries()) {
    const wait = started + (i * 1000) / perSecond - performance.now();
    if (wait > 1) await sleep(wait);
    const sent = performance.now();
    sentAt.set(id, performance.timeOrigin + sent);
    sends.push(request(`${serverUrl}/api/monitors/${id}/status`, {
      method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: '{"status":"Completed"}',
    }).then(async (response) => {
      await response.body.text();
      if (response.statusCode !== 200) throw new Error(`bench: push to ${id} answered ${response.statusCode}`);
      roundTrips.push(performance.now() - sent);
    }));
  }
  await Promise.all(sends);
  return { sentAt, roundTrips };
}

/** Time runs this many times faster in (10c/10d): a 30-minute job takes 9 s. */
const TIME_SCALE = 200;

async function statusCalls(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { handle } = await services.database('schedules');
  const fleet = new JobwatchFleet(services, services.prefix('schedules'), handle);
  const jobs = new TimedJobs();
  const scaled = (ms: number) => Math.round(ms / TIME_SCALE);
  const rowsOf = new Set<string>();
  // The floor of intervals scaled down with the rest; nothing else differs from a deployment's config.
  const scaledConfig = withOverrides(fleet.config, { minIntervalMs: 1 });
  const workers = await fleet.startWorkers({
    config: scaledConfig, statusProvider: jobs, concurrency: config.concurrency, observer: { persisted: ({ result }) => rowsOf.add(result.monitorId) },
  });
  const client = new JobwatchClient({ config: scaledConfig, database: handle });
  try {
    const n = config.push.scheduleMonitors;
    const jobMs = scaled(30 * 60_000);
    const inputs: MonitorInput[] = [];
    for (let i = 0; i < n; i++) {
      inputs.push({ jobId: `fixed-${i}`, statusHook: true, interval: scaled(60_000), expireIn: '1h' });
      inputs.push({ jobId: `backoff-${i}`, statusHook: true, interval: scaled(5_000), backoff: { factor: 1.5, max: scaled(300_000) }, expireIn: '1h' });
    }
    const now = Date.now();
    for (const input of inputs) jobs.doneAt.set(input.jobId, now + jobMs);
    context.progress(`schedules: ${n} + ${n} simulated 30-minute jobs, time scaled ${TIME_SCALE}x (${jobMs / 1000} s)`);
    await client.startMonitors(inputs);
    await waitUntil(() => rowsOf.size === inputs.length, 'every scheduled monitor\'s row');
    const meanCalls = (prefix: string) => inputs.filter((i) => i.jobId.startsWith(prefix)).reduce((sum, i) => sum + jobs.calls.get(i.jobId)!, 0) / n;
    const fixed = meanCalls('fixed-');
    const backoff = meanCalls('backoff-');
    const note = `${n} jobs each, default jitter 0.1, time scaled ${TIME_SCALE}x; calls counted by the job service, the one that saw Completed included`;
    return [
      row({ id: '10c', measurement: 'status calls, 30-minute job, fixed 1m interval', value: fixed, unit: 'calls', note }),
      row({ id: '10d', measurement: 'status calls, 30-minute job, backoff 5s x1.5 up to 5m', value: backoff, unit: 'calls', ratio: { value: backoff / fixed, of: '(10c)' } }),
    ];
  } finally {
    await client.close();
    await workers.close();
    await fleet.close();
    await services.clearPrefix(fleet.prefix);
  }
}
