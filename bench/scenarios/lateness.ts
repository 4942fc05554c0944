import { DEFAULT_JITTER } from '../../src/monitor/schedule.ts';
import type { Report } from '../harness/child-process.ts';
import { monitorInputs } from '../harness/jobwatch-fleet.ts';
import { median, summarize, type LatencySummary } from '../harness/measure.ts';
import { row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { startBareLoop } from '../harness/shipped-rounds.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';

/** Issue 21's target for the shipped worker's p99 lateness at half of its throughput row. */
const LATENESS_P99_TARGET_MS = 25;

/**
 * How long before their first polls fall due the monitors of a lateness round are started (their
 * starting is not measured): 2 s, plus a millisecond per monitor. Started through the API, thousands
 * of monitors take seconds, and a server busy starting them beside the worker is not the steady
 * load the row measures; at 1,000 starts a second or more, the last is started before the first
 * poll, so the warm-up and the window come after the start.
 */
function startLeadMs(monitors: number): number {
  return 2_000 + monitors;
}

/** Lateness rows share this shape; pg-boss's are printed beside jobwatch's. */
export function latenessRows(
  id: string, who: string, recorder: { summary(): LatencySummary }, window: { count: number; seconds: number }, offered: number, extra: { target?: number; note?: string } = {},
): Row[] {
  const { p50, p99, max, samples } = recorder.summary();
  const load = `${offered.toFixed(0)} polls/s offered, ${(window.count / window.seconds).toFixed(0)}/s done, ${samples} samples over ${window.seconds.toFixed(0)} s` +
    (extra.note ? `; ${extra.note}` : '');
  const target = extra.target;
  return [
    row({ id: `${id}`, measurement: `${who} timer lateness p50`, value: p50, unit: 'ms', note: load }),
    row({ id: `${id}`, measurement: `${who} timer lateness p99`, value: p99, unit: 'ms', ...(target === undefined ? {} : { target: { on: 'value', op: '<=', value: target } }) }),
    row({ id: `${id}`, measurement: `${who} timer lateness max`, value: max, unit: 'ms' }),
  ];
}

/** The offered load of the lateness rows: a share (half) of what the shipped worker reached in (2) this run. */
export function offeredRate(context: ScenarioContext): number {
  const { lateness } = context.config;
  const reached = context.figures.get('jobwatch');
  const rate = reached === undefined ? lateness.fallbackRate : reached * lateness.loadShare;
  context.figures.set('offeredRate', rate);
  return rate;
}

/** One round's window: each poll's lateness (start minus due time, ms), and how long the window was. */
interface Window {
  values: number[];
  seconds: number;
}

/**
 * (4) Timer lateness of a `jobwatch worker` process (compiled CLI, default configuration) offered
 * half of what it reached in (2): monitors started through the API, due evenly spread, each every
 * `intervalMs`. Lateness is the status call's start (the hook's clock) minus the poll's due time;
 * recorded over a window after a warm-up. (4a) The baseline beside it, round by round: the
 * step-job loop process with the same jobs at the same load. Redis runs at the run's `hz`.
 */
export async function latenessScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { intervalMs, warmupMs, measureMs } = config.lateness;
  const hz = Number(await services.redisSetting('hz'));
  const rate = offeredRate(context);
  // Each delay is cut by up to the default jitter, so the mean interval is (1 - jitter / 2) of it.
  const monitors = Math.max(1, Math.round((rate * intervalMs * (1 - DEFAULT_JITTER / 2)) / 1000));
  const jobwatch = await ShippedJobwatch.start(services, 'lateness');
  const shipped: Window[] = [];
  const bare: Window[] = [];
  try {
    for (let round = 1; round <= config.lateness.rounds; round++) {
      context.progress(`lateness round ${round}: ${monitors} monitors every ${intervalMs} ms; ${warmupMs / 1000} s warm-up, then ${measureMs / 1000} s measured, each`);
      // The order turns each round, so that what the machine does after the previous scenario (a
      // Postgres checkpoint after the throughput rounds' records) does not always fall on one side.
      if (round % 2 === 1) {
        shipped.push(await shippedWindow(context, jobwatch, monitors));
        bare.push(await bareWindow(context, monitors));
      } else {
        bare.push(await bareWindow(context, monitors));
        shipped.push(await shippedWindow(context, jobwatch, monitors));
      }
      const [a, b] = [summarize(shipped.at(-1)!.values), summarize(bare.at(-1)!.values)];
      context.progress(`lateness round ${round}: jobwatch p50 ${a.p50} ms p99 ${a.p99} ms, step-job loop p50 ${b.p50} ms p99 ${b.p99} ms`);
    }
  } finally {
    await jobwatch.close();
  }
  const jobwatchP99 = median(shipped.map((w) => summarize(w.values).p99));
  context.figures.set('latenessP99', jobwatchP99);
  const note = `${rate.toFixed(0)} polls/s offered (${monitors} monitors, ${config.lateness.loadShare * 100}% of (2)); Redis hz ${hz}: ` +
    `BullMQ wakes for a delayed poll on a Redis timer tick, every ${(1000 / hz).toFixed(0)} ms; medians of ${config.lateness.rounds} round(s)`;
  return [
    ...windowRows('4', 'jobwatch worker process', shipped, bare, { target: LATENESS_P99_TARGET_MS, note }),
    ...windowRows('4a', 'baseline: step-job loop process', bare, undefined, { note: 'same jobs, same load, alternating rounds' }),
  ];
}

async function shippedWindow(context: ScenarioContext, jobwatch: ShippedJobwatch, monitors: number): Promise<Window> {
  const { intervalMs, warmupMs, measureMs } = context.config.lateness;
  await jobwatch.reset();
  // The worker runs first and the monitors come after, due from the lead on, evenly over one interval.
  const worker = await jobwatch.startWorker(context.config.concurrency, { BENCH_LATENESS: `${warmupMs},${measureMs}` });
  try {
    const lead = startLeadMs(monitors);
    const firstDue = Date.now() + lead;
    await jobwatch.startMonitors(monitorInputs('late', monitors, { intervalMs }), (index) => firstDue + (index / monitors) * intervalMs);
    const late = Date.now() - firstDue;
    if (late > 0) context.progress(`lateness: starting the monitors ended ${late} ms after the first was due; the warm-up covers ${warmupMs} ms of it`);
    return toWindow(await worker.reports.next('lateness', lead + warmupMs + measureMs + 60_000));
  } finally {
    await worker.stop();
  }
}

async function bareWindow(context: ScenarioContext, monitors: number): Promise<Window> {
  const { intervalMs, warmupMs, measureMs } = context.config.lateness;
  const prefix = context.services.prefix('lateness-bare');
  const loop = await startBareLoop(context, 'step-job', prefix, {
    BENCH_MONITORS: String(monitors), BENCH_INTERVAL_MS: String(intervalMs), BENCH_SPREAD_MS: String(intervalMs),
    BENCH_CONCURRENCY: String(context.config.concurrency), BENCH_LATENESS: `${warmupMs},${measureMs}`,
  });
  try {
    return toWindow(await loop.reports.next('lateness', warmupMs + measureMs + 60_000));
  } finally {
    await loop.stop();
    await context.services.clearPrefix(prefix);
  }
}

function toWindow(report: Report): Window {
  return { values: report.values as number[], seconds: Number(report.ms) / 1000 };
}

/** p50, p99 and max of a subject's rounds (medians over rounds), each round beside the baseline's. */
function windowRows(id: string, who: string, subject: Window[], baseline: Window[] | undefined, extra: { target?: number; note: string }): Row[] {
  const of = (windows: Window[], pick: (s: LatencySummary) => number) => windows.map((w) => pick(summarize(w.values)));
  const done = median(subject.map((w) => w.values.length / w.seconds));
  const figure = (name: 'p50' | 'p99' | 'max') => {
    const values = of(subject, (s) => s[name]);
    const base = baseline && of(baseline, (s) => s[name]);
    return {
      value: median(values), unit: 'ms', samples: values,
      rounds: values.map((value, index) => (base ? { value, baseline: base[index]! } : { value })),
      ...(base ? { ratio: { value: median(values) / median(base), of: `(4a) ${name}` } } : {}),
    };
  };
  return [
    row({ id, measurement: `${who}: timer lateness p50`, ...figure('p50'), note: `${extra.note}; ${done.toFixed(0)} polls/s done in the window` }),
    row({ id, measurement: `${who}: timer lateness p99`, ...figure('p99'), ...(extra.target === undefined ? {} : { target: { on: 'value', op: '<=', value: extra.target } }) }),
    row({ id, measurement: `${who}: timer lateness max`, ...figure('max') }),
  ];
}
