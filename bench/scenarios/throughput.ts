import { sql } from 'drizzle-orm';
import { runBareLoop } from '../harness/bare-bullmq-loop.ts';
import { JobwatchFleet, monitorInputs, toContexts, type BenchSource } from '../harness/jobwatch-fleet.ts';
import { EventCounter, rounds, settle, waitUntil } from '../harness/measure.ts';
import { InMemoryStatusProvider } from '../harness/memory-status.ts';
import { pairedRatio, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import type { Redis } from 'ioredis';
import type { StatusProvider } from '../../src/monitor/status-provider.ts';
import { combineObservers, type PollObserver } from '../../src/monitor/poll-observer.ts';

/**
 * (1) the ceiling, a bare BullMQ loop, (1b) BullMQ's step-job pattern (the loop plus `updateData`),
 * and (2) jobwatch with an in-memory status, in alternating rounds of the same shape: N monitors,
 * K polls each, 100 ms apart, the same concurrency. The target is on (2)/(1b): the baseline,
 * BullMQ's step-job pattern as its docs write it, which carries its state as jobwatch does; (2)/(1),
 * against a loop that writes nothing, is in the note.
 */
export async function throughputScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pollsPerMonitor } = config.throughput;
  const { intervalMs, warmup } = config;
  const { fleet, run: jobwatch } = await inMemoryRounds(context, 'jobwatch');
  const ceilingPrefix = services.prefix('ceiling');
  const bare = (n: number, k: number, writeContext = false) => {
    const contexts = toContexts(monitorInputs('m', n, { intervalMs }));
    return runBareLoop({
      redisUrl: config.redisUrl, prefix: ceilingPrefix, contexts, pollsPerMonitor: k, intervalMs, concurrency: config.concurrency,
      writeContext, queueName: writeContext ? 'step-polls' : 'bare-polls',
    });
  };
  try {
    context.progress('throughput: warm-up');
    await bare(warmup.monitors, warmup.pollsPerMonitor);
    await bare(warmup.monitors, warmup.pollsPerMonitor, true);
    await services.clearPrefix(ceilingPrefix);
    await jobwatch(warmup.monitors, warmup.pollsPerMonitor);
    const ceiling: number[] = [];
    const stepJob: number[] = [];
    const subject: number[] = [];
    for (let round = 1; round <= config.rounds; round++) {
      await settle();
      ceiling.push(await bare(monitors, pollsPerMonitor));
      await services.clearPrefix(ceilingPrefix);
      await settle();
      stepJob.push(await bare(monitors, pollsPerMonitor, true));
      await services.clearPrefix(ceilingPrefix);
      await settle();
      subject.push(await jobwatch(monitors, pollsPerMonitor));
      context.progress(
        `throughput round ${round}: ceiling ${ceiling.at(-1)!.toFixed(0)}/s, step-job ${stepJob.at(-1)!.toFixed(0)}/s, jobwatch ${subject.at(-1)!.toFixed(0)}/s` +
          ` (${(subject.at(-1)! / ceiling.at(-1)!).toFixed(2)}x, ${(subject.at(-1)! / stepJob.at(-1)!).toFixed(2)}x)`,
      );
    }
    const ceilingRate = rounds(ceiling);
    const stepJobRate = rounds(stepJob);
    const jobwatchRate = rounds(subject);
    context.figures.set('ceiling', ceilingRate.median);
    context.figures.set('jobwatch', jobwatchRate.median);
    const shape = `${monitors} monitors x ${pollsPerMonitor} polls, ${intervalMs} ms interval, concurrency ${config.concurrency}`;
    return [
      row({ id: '1', measurement: 'ceiling: bare BullMQ loop (moveToDelayed, no-op status)', value: ceilingRate.median, unit: 'polls/s', samples: ceiling, note: shape }),
      row({
        id: '1b', measurement: 'bare BullMQ step-job loop (updateData + moveToDelayed)', value: stepJobRate.median, unit: 'polls/s', samples: stepJob,
        ratio: { value: pairedRatio(stepJob, ceiling), of: '(1)' }, note: shape,
      }),
      row({
        id: '2', measurement: 'jobwatch, in-memory status', value: jobwatchRate.median, unit: 'polls/s', samples: subject,
        ratio: { value: pairedRatio(subject, stepJob), of: '(1b)' }, target: { on: 'ratio', op: '>=', value: 0.8 },
        note: `${shape}; every monitor: one row, polls = ${pollsPerMonitor}; ${pairedRatio(subject, ceiling).toFixed(2)}x (1); ratios are medians of per-round pairs`,
      }),
    ];
  } finally {
    await fleet.close();
  }
}

/** A fleet on a prefix and database of its own, and one timed in-memory round of (2) on it. */
export async function inMemoryRounds(context: ScenarioContext, purpose: string) {
  const { handle } = await context.services.database(purpose);
  const fleet = new JobwatchFleet(context.services, context.services.prefix(purpose), handle);
  const run = (monitors: number, pollsPerMonitor: number) =>
    runJobwatchRound(context, fleet, new InMemoryStatusProvider(pollsPerMonitor), { monitors, pollsPerMonitor });
  return { fleet, run };
}

/**
 * One timed round of jobwatch: N monitors started through `startMonitors`, run by jobwatch's own
 * workers until each has polled K times; polls/s from the first status check to the last. Then
 * (not timed) checks that every monitor has exactly one final record with exactly K polls.
 */
export async function runJobwatchRound(
  context: ScenarioContext,
  fleet: JobwatchFleet,
  statusProvider: StatusProvider | ((connection: Redis) => StatusProvider),
  shape: BenchSource & { monitors: number; pollsPerMonitor: number },
  /** Told of the polls too, as a worker process's history writer is. */
  observer?: PollObserver,
): Promise<number> {
  const { monitors, pollsPerMonitor } = shape;
  await fleet.reset();
  const inputs = monitorInputs('m', monitors, { ...shape, intervalMs: context.config.intervalMs });
  const started = await fleet.client.startMonitors(inputs);
  if (started.created !== monitors) throw new Error(`bench: started ${started.created} of ${monitors} monitors`);
  await settle();
  const counter = new EventCounter(monitors * pollsPerMonitor);
  const workers = await fleet.startWorkers({ statusProvider, observer: combineObservers({ statusChecked: counter.tick }, observer), concurrency: context.config.concurrency });
  try {
    const rate = await counter.rate();
    await waitUntil(async () => (await fleet.persistedRows()) === monitors, `${monitors} final records`);
    const rows = (await fleet.database.db.execute(
      sql`select count(*)::int as n from monitor_results where polls = ${pollsPerMonitor} and outcome = 'completed'`,
    )) as unknown as { n: number }[];
    if (rows[0]?.n !== monitors) throw new Error(`bench: ${rows[0]?.n} of ${monitors} monitors ended with ${pollsPerMonitor} polls`);
    return rate;
  } finally {
    await workers.close();
  }
}
