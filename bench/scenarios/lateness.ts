import { JobwatchFleet, monitorInputs } from '../harness/jobwatch-fleet.ts';
import { sleep, WindowRecorder } from '../harness/measure.ts';
import { InMemoryStatusProvider } from '../harness/memory-status.ts';
import { row, type Row, type ScenarioContext } from '../harness/scenario.ts';

/** Lateness rows share this shape; pg-boss's are printed beside jobwatch's. */
export function latenessRows(
  id: string, who: string, recorder: WindowRecorder, window: { count: number; seconds: number }, offered: number, extra: { target?: number; note?: string } = {},
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

/** The offered load of (4) and (5): a share of the ceiling measured in this run. */
export function offeredRate(context: ScenarioContext): number {
  const { lateness } = context.config;
  const ceiling = context.figures.get('ceiling');
  const rate = ceiling === undefined ? lateness.fallbackRate : ceiling * lateness.loadShare;
  context.figures.set('offeredRate', rate);
  return rate;
}

/**
 * (4) Timer lateness: monitors whose polls fall due at half the ceiling rate, spread evenly,
 * each every `intervalMs`, run by jobwatch's workers. Lateness is poll start minus due time, as
 * jobwatch's own observer reports it, recorded over a window after a warm-up. Then (4b), for
 * reading it, the same at half of jobwatch's own throughput (2): timer precision without queueing.
 */
export async function latenessScenario(context: ScenarioContext): Promise<Row[]> {
  const { services } = context;
  const hz = Number(await services.redisSetting('hz'));
  const note = `Redis hz ${hz}: BullMQ wakes for a delayed poll on a Redis timer tick, every ${(1000 / hz).toFixed(0)} ms`;
  const rate = offeredRate(context);
  const measured = await measureLateness(context, 'lateness', rate);
  context.figures.set('latenessP99', measured.recorder.summary().p99);
  const rows = latenessRows('4', 'jobwatch', measured.recorder, measured.window, rate, { target: 150, note });
  const jobwatch = context.figures.get('jobwatch');
  if (jobwatch === undefined) return rows;
  const half = jobwatch * context.config.lateness.loadShare;
  const relaxed = await measureLateness(context, 'lateness-half', half);
  return [...rows, ...latenessRows('4b', 'jobwatch at 50% of (2),', relaxed.recorder, relaxed.window, half)];
}

async function measureLateness(context: ScenarioContext, purpose: string, rate: number) {
  const { config, services } = context;
  const { intervalMs, warmupMs, measureMs } = config.lateness;
  const monitors = Math.max(1, Math.round((rate * intervalMs) / 1000));
  const { handle } = await services.database(purpose);
  const fleet = new JobwatchFleet(services, services.prefix(purpose), handle);
  const recorder = new WindowRecorder();
  try {
    await fleet.seedSpread(monitorInputs('late', monitors, { intervalMs }), intervalMs);
    const workers = await fleet.startWorkers({
      statusProvider: new InMemoryStatusProvider(Number.POSITIVE_INFINITY),
      observer: { statusChecked: ({ lateMs }) => recorder.record(lateMs) },
      concurrency: config.concurrency,
    });
    try {
      context.progress(`${purpose}: ${monitors} monitors every ${intervalMs} ms; warm-up ${warmupMs / 1000} s, then ${measureMs / 1000} s measured`);
      await sleep(warmupMs);
      return { recorder, window: await recorder.recordFor(measureMs) };
    } finally {
      await workers.close();
    }
  } finally {
    await fleet.close();
    await services.clearPrefix(fleet.prefix);
  }
}
