import { rounds, settle } from '../harness/measure.ts';
import { startOtlpSink, type OtlpSink } from '../harness/otlp-sink.ts';
import { pairedRatio, roundPairs, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { shippedRound, type RoundShape } from '../harness/shipped-rounds.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';

type Subject = 'off' | 'ratio' | 'always';

/** The tracing environment of each subject's server and workers; `off` sets none of OpenTelemetry's variables (the default). */
function tracingEnv(subject: Subject, sink: OtlpSink): Record<string, string> {
  if (subject === 'off') return {};
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    ...(subject === 'ratio' ? { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } : { OTEL_TRACES_SAMPLER: 'parentbased_always_on' }),
  };
}

/**
 * (2t) Row (2)'s shipped worker with tracing on, against off: three jobwatch deployments (server and
 * a new `jobwatch worker` process each round, compiled CLI, default configuration), one with no
 * OTEL_* variable, one exporting OTLP/HTTP (protobuf, the default) to a receiver in the bench
 * process at `parentbased_traceidratio` 0.1, one at always-on. The server starts each monitor's
 * trace (its sampling decision) and the worker's polls follow it. Rounds of row (2)'s monitors with
 * more polls each (config.tracing says why), the three subjects in an order that turns each round,
 * so that a drift in the machine's load falls on each in turn; each round's ratios pair it with
 * that round's `off`. The worker's CPU per poll is printed beside each.
 */
export async function tracingScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const sink = await startOtlpSink();
  const fleets = new Map<Subject, ShippedJobwatch>();
  const results = new Map<Subject, number[]>([['off', []], ['ratio', []], ['always', []]]);
  const exported = new Map<Subject, { requests: number; bytes: number }>();
  const workerUs = new Map<Subject, number[]>([['off', []], ['ratio', []], ['always', []]]);
  try {
    for (const subject of results.keys()) fleets.set(subject, await ShippedJobwatch.start(services, `tracing-${subject}`, tracingEnv(subject, sink)));
    const run = async (subject: Subject, shape: RoundShape) => {
      await settle();
      sink.take();
      const { rate, cost } = await shippedRound(context, fleets.get(subject)!, shape);
      workerUs.get(subject)!.push(cost.processUs);
      const taken = sink.take();
      const sum = exported.get(subject) ?? { requests: 0, bytes: 0 };
      exported.set(subject, { requests: sum.requests + taken.requests, bytes: sum.bytes + taken.bytes });
      return rate;
    };
    const subjects = [...results.keys()];
    if (!config.quick) {
      context.progress('tracing: warm-up');
      for (const subject of subjects) await run(subject, { ...config.warmup, intervalMs: config.intervalMs });
      exported.clear();
      for (const costs of workerUs.values()) costs.length = 0;
    }
    for (let round = 1; round <= config.tracing.rounds; round++) {
      const turn = (round - 1) % subjects.length;
      for (const subject of [...subjects.slice(turn), ...subjects.slice(0, turn)]) {
        results.get(subject)!.push(await run(subject, { monitors: config.tracing.monitors, pollsPerMonitor: config.tracing.pollsPerMonitor, intervalMs: config.intervalMs }));
      }
      const last = (subject: Subject) => results.get(subject)!.at(-1)!;
      const us = (subject: Subject) => `${workerUs.get(subject)!.at(-1)!.toFixed(1)} µs/poll`;
      context.progress(`tracing round ${round}: off ${last('off').toFixed(0)}/s ${us('off')}, ratio 0.1 ${last('ratio').toFixed(0)}/s ${us('ratio')} (${(last('ratio') / last('off')).toFixed(2)}x), ` +
        `always-on ${last('always').toFixed(0)}/s ${us('always')} (${(last('always') / last('off')).toFixed(2)}x)`);
    }
  } finally {
    for (const fleet of fleets.values()) await fleet.close();
    await sink.close();
  }
  // A traced subject that exported nothing measured nothing: its row would be tracing off under another name.
  for (const subject of ['ratio', 'always'] as const) {
    if (!exported.get(subject)?.requests) throw new Error(`bench: (2t) the ${subject} rounds exported no spans to the receiver`);
  }
  return tracingRows(context, results, exported, workerUs);
}

function tracingRows(
  context: ScenarioContext, results: Map<Subject, number[]>, exported: Map<Subject, { requests: number; bytes: number }>, workerUs: Map<Subject, number[]>,
): Row[] {
  const { config } = context;
  const { monitors, pollsPerMonitor } = config.tracing;
  const [off, ratio, always] = [results.get('off')!, results.get('ratio')!, results.get('always')!];
  const cpu = (subject: Subject) => `${rounds(workerUs.get(subject)!).median.toFixed(1)} µs`;
  const sent = (subject: Subject) => {
    const { requests, bytes } = exported.get(subject)!;
    return `${requests} export requests, ${(bytes / 1024).toFixed(0)} KiB over ${config.tracing.rounds} round(s)`;
  };
  const shape = `\`jobwatch worker --concurrency ${config.concurrency}\` and \`jobwatch server\`, default configuration, status hook; ${monitors} monitors x ${pollsPerMonitor} polls ` +
    `per round, ${config.intervalMs} ms interval, all due at once; off, ratio and always-on in turn (the order turns each round); ratio: median of per-round ratios to off ` +
    `(median ${rounds(off).median.toFixed(0)} polls/s); the worker's CPU per poll (medians): off ${cpu('off')}, ratio 0.1 ${cpu('ratio')}, always-on ${cpu('always')}`;
  return [
    row({
      id: '2t', measurement: 'jobwatch worker process, tracing on (OTEL_TRACES_SAMPLER=parentbased_traceidratio, ARG 0.1, OTLP/HTTP to a local receiver), vs off',
      value: rounds(ratio).median, unit: 'polls/s', samples: ratio, rounds: roundPairs(ratio, off),
      ratio: { value: pairedRatio(ratio, off), of: 'off' }, target: { on: 'ratio', op: '>=', value: 0.9 },
      note: `${shape}; exported ${sent('ratio')}`,
    }),
    row({
      id: '2ta', measurement: 'jobwatch worker process, tracing on at always-on (every monitor traced), vs off',
      value: rounds(always).median, unit: 'polls/s', samples: always, rounds: roundPairs(always, off),
      ratio: { value: pairedRatio(always, off), of: 'off' },
      note: `as (2t), OTEL_TRACES_SAMPLER=parentbased_always_on; exported ${sent('always')}`,
    }),
  ];
}
