import { GATE_OFF_ENV } from '../config.ts';
import { costTable, medianCost, type PollCost } from '../harness/costs.ts';
import { inMemoryRounds } from '../harness/in-process-round.ts';
import { median, rounds, settle } from '../harness/measure.ts';
import { pairedRatio, roundPairs, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { bareRound, shippedRound, type RoundResult, type RoundShape } from '../harness/shipped-rounds.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';

type Subject = 'ceiling' | 'stepJob' | 'shipped' | 'noGate' | 'harness';

/**
 * Poll throughput of jobwatch as shipped. In each round, one after the other under the same load:
 * (1) the ceiling, a bare BullMQ loop (moveToDelayed alone); (1b) the baseline, BullMQ's step-job
 * pattern (updateData + moveToDelayed), each in a process of its own; (2) a `jobwatch worker`
 * process (the compiled CLI, default configuration, --concurrency as the loops') polling monitors
 * started through `jobwatch server`'s API, its status hook answering from memory; (2g) the same
 * without the request gate, when a config switch turns it off (GATE_OFF_ENV); (2h) the harness:
 * jobwatch's workers inside the bench process, a breakdown. Same shape for all: N monitors, K polls
 * each, 100 ms apart, all due at once. Each round's ratio pairs it with the baseline's of that round.
 * Then what a poll costs, command by command, in a table. `bench:core` runs (1b), (2) and (2g).
 */
export async function throughputScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const all = config.suite === 'all';
  const jobwatch = await ShippedJobwatch.start(services, 'jobwatch');
  const harness = all ? await inMemoryRounds(context, 'harness') : undefined;
  type Run = (shape: RoundShape) => Promise<RoundResult | number>;
  const subjects: [Subject, Run][] = [
    ...(all ? [['ceiling', (shape) => bareRound(context, 'ceiling', shape)] as [Subject, Run]] : []),
    ['stepJob', (shape) => bareRound(context, 'step-job', shape)],
    ['shipped', (shape) => shippedRound(context, jobwatch, shape)],
    ...(GATE_OFF_ENV ? [['noGate', (shape) => shippedRound(context, jobwatch, shape, GATE_OFF_ENV)] as [Subject, Run]] : []),
    ...(harness ? [['harness', (shape) => harness.run(shape.monitors, shape.pollsPerMonitor)] as [Subject, Run]] : []),
  ];
  const results = new Map<Subject, { rate: number; cost?: PollCost }[]>(subjects.map(([name]) => [name, []]));
  try {
    // Each round's processes are new; the warm-up readies Redis, Postgres, the server and the bench process. A smoke run does without.
    if (!config.quick) {
      context.progress('throughput: warm-up');
      for (const [, run] of subjects) await run({ ...config.warmup, intervalMs: config.intervalMs });
    }
    for (let round = 1; round <= config.rounds; round++) {
      for (const [name, run] of subjects) {
        await settle();
        const result = await run({ ...config.throughput, intervalMs: config.intervalMs });
        results.get(name)!.push(typeof result === 'number' ? { rate: result } : result);
      }
      const last = (name: Subject) => results.get(name)!.at(-1)!.rate;
      context.progress(`throughput round ${round}: ` + subjects.map(([name]) => `${name} ${last(name).toFixed(0)}/s`).join(', ') +
        ` (shipped ${(last('shipped') / last('stepJob')).toFixed(2)}x step-job)`);
    }
  } finally {
    await harness?.fleet.close();
    await jobwatch.close();
  }
  const rates = (name: Subject) => results.get(name)?.map((result) => result.rate);
  if (rates('ceiling')) context.figures.set('ceiling', median(rates('ceiling')!));
  context.figures.set('jobwatch', median(rates('shipped')!));
  context.tables.push(costTable(
    `What a poll costs (median of ${config.rounds} round(s); Redis: ${config.externalRedis ? 'shared, others\' commands count too' : 'the bench\'s own'})`,
    (['shipped', 'noGate', 'stepJob', 'ceiling'] as const).filter((name) => results.has(name)).map((name) => ({
      name: { shipped: '(2) shipped worker', noGate: '(2g) no gate', stepJob: '(1b) step-job loop', ceiling: '(1) ceiling loop' }[name],
      cost: medianCost(results.get(name)!.map((result) => result.cost!)),
    })),
    [
      'polling process: user + system CPU of the worker (or loop) process, /proc/<pid>/stat, from its first poll until every monitor has ended;',
      'Redis: INFO cpu and INFO commandstats over the same window, divided by the polls. Commands that scripts run are counted by',
      'commandstats too, and their time is inside their script\'s (evalsha): the command rows overlap and do not add up to the CPU row.',
      'commandstats times are wall-clock inside Redis: on a loaded machine a descheduled Redis inflates them (INFO cpu does not).',
    ],
  ));
  return throughputRows(context, rates);
}

function throughputRows(context: ScenarioContext, rates: (name: Subject) => number[] | undefined): Row[] {
  const { config } = context;
  const { monitors, pollsPerMonitor } = config.throughput;
  const shape = `${monitors} monitors x ${pollsPerMonitor} polls, ${config.intervalMs} ms interval, all due at once, concurrency ${config.concurrency}; ` +
    'polls/s from the first poll to the last, a new process each round';
  const [ceiling, stepJob, shipped, noGate, harness] = [rates('ceiling'), rates('stepJob')!, rates('shipped')!, rates('noGate'), rates('harness')];
  const versus = (subject: number[], baseline: number[], of: string) => ({
    value: rounds(subject).median, samples: subject, rounds: roundPairs(subject, baseline), ratio: { value: pairedRatio(subject, baseline), of },
  });
  const ceilingRows = ceiling
    ? [row({ id: '1', measurement: 'ceiling: bare BullMQ loop process (moveToDelayed alone)', value: rounds(ceiling).median, unit: 'polls/s', samples: ceiling, rounds: roundPairs(ceiling), note: shape })]
    : [];
  return [
    ...ceilingRows,
    row({
      id: '1b', measurement: 'baseline: bare BullMQ step-job loop process (updateData + moveToDelayed)', unit: 'polls/s',
      ...(ceiling ? versus(stepJob, ceiling, '(1)') : { value: rounds(stepJob).median, samples: stepJob, rounds: roundPairs(stepJob) }),
      ...(ceiling ? {} : { note: shape }),
    }),
    row({
      id: '2', measurement: 'jobwatch worker process as shipped (monitors via POST /api/monitors, status hook)', unit: 'polls/s',
      ...versus(shipped, stepJob, '(1b)'), target: { on: 'ratio', op: '>=', value: 0.85 },
      note: `\`jobwatch worker --concurrency ${config.concurrency}\` (dist/cli/bin.js), default configuration; every monitor checked to end completed after ${pollsPerMonitor} polls` +
        (ceiling ? `; ${pairedRatio(shipped, ceiling).toFixed(2)}x (1)` : '') +
        (noGate ? '' : '; (2g) without the gate: not measured, no config switch turns the request gate off (GATE_OFF_ENV in bench/config.ts)'),
    }),
    ...(noGate
      ? [row({
        id: '2g', measurement: `jobwatch worker process without the request gate (${Object.entries(GATE_OFF_ENV ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')})`,
        unit: 'polls/s', ...versus(noGate, stepJob, '(1b)'), note: `${pairedRatio(noGate, shipped).toFixed(2)}x (2), the default gate`,
      })]
      : []),
    ...(harness
      ? [row({
        id: '2h', measurement: 'harness (breakdown): jobwatch\'s workers inside the bench process, in-memory status', unit: 'polls/s',
        ...versus(harness, stepJob, '(1b)'),
        note: `not the shipped process: startWorkers in the bench process (no hook, no history writer, no gate); (2) reaches ${pairedRatio(shipped, harness).toFixed(2)}x of it`,
      })]
      : []),
  ];
}
