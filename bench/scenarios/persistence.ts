import { Worker, type Job } from 'bullmq';
import { ResultBatcher } from '../../src/db/result-batcher.ts';
import { singleInsertStore } from '../../src/db/results.ts';
import type { MonitorResult } from '../../src/monitor/context.ts';
import { toQueueJobId } from '../../src/monitor/queue-job-id.ts';
import { createCompletionProcessor } from '../../src/queue/completion-processor.ts';
import { COMPLETION_JOB, COMPLETION_JOB_OPTIONS, COMPLETION_QUEUE } from '../../src/queue/queues.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { JobwatchFleet } from '../harness/jobwatch-fleet.ts';
import { EventCounter, rounds, settle } from '../harness/measure.ts';
import { pairedRatio, row, type Row, type ScenarioContext } from '../harness/scenario.ts';

import type { ResultStore } from '../../src/monitor/result-store.ts';

/**
 * (8) Persistence: final records written per second by jobwatch's completion handler, batched
 * (ResultBatcher, as the workers run it) against one INSERT per completion, in alternating rounds
 * of N completions at the same concurrency. Measured twice: calling the handler directly (the
 * write path alone), and through a BullMQ completion worker (what a deployment sees, which BullMQ's
 * own per-job cost bounds). Each round checks one row per monitor, each caller told its row was new.
 */
export async function persistenceScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { handle } = await services.database('persistence');
  const fleet = new JobwatchFleet(services, services.prefix('persistence'), handle);
  const single: () => ResultStore = () => singleInsertStore(handle.db);
  const batched: () => ResultStore = () => new ResultBatcher(handle.db);
  const ways = [handlerRound, workerRound];
  const samples = ways.map(() => ({ single: [] as number[], batched: [] as number[] }));
  try {
    context.progress('persistence: warm-up');
    const warmup = Math.max(1, Math.floor(config.completions / 10));
    for (const way of ways) for (const store of [single, batched]) await way(context, fleet, warmup, store());
    for (let round = 1; round <= config.rounds; round++) {
      for (const [index, way] of ways.entries()) {
        samples[index]!.single.push(await way(context, fleet, config.completions, single()));
        samples[index]!.batched.push(await way(context, fleet, config.completions, batched()));
      }
      context.progress(`persistence round ${round}: ${samples.map((s) => `${s.single.at(-1)!.toFixed(0)} -> ${s.batched.at(-1)!.toFixed(0)}/s`).join(', ')}`);
    }
    const shape = `${config.completions} completions, ${config.concurrency} at once, Postgres pool of 10; one row per monitor, each told its row was new`;
    return [
      ...persistenceRows(['8a', '8b'], 'completion handler', samples[0]!, { target: { on: 'ratio', op: '>=', value: 5 }, note: shape }),
      ...persistenceRows(['8c', '8d'], 'completion worker (BullMQ)', samples[1]!, { note: `${shape}; bounded by BullMQ's cost per job` }),
    ];
  } finally {
    await fleet.close();
  }
}

function persistenceRows(ids: [string, string], through: string, samples: { single: number[]; batched: number[] }, extra: Pick<Row, 'target' | 'note'>): Row[] {
  return [
    row({ id: ids[0], measurement: `persistence via ${through}, one INSERT each`, value: rounds(samples.single).median, unit: 'rows/s', samples: samples.single }),
    row({
      id: ids[1], measurement: `persistence via ${through}, batched`, value: rounds(samples.batched).median, unit: 'rows/s', samples: samples.batched,
      ratio: { value: pairedRatio(samples.batched, samples.single), of: `(${ids[0]})` }, ...extra,
    }),
  ];
}

type Round = (context: ScenarioContext, fleet: JobwatchFleet, completions: number, results: ResultStore) => Promise<number>;

/** The completion handler called directly by `concurrency` loops: the write path alone. */
const handlerRound: Round = async (context, fleet, completions, results) => {
  await fleet.reset();
  await settle();
  const tally = persistTally(completions);
  const handler = createCompletionProcessor({ results, logger: fleet.logger, observer: tally.observer });
  const now = Date.now();
  let next = 0;
  const loop = async () => {
    while (next < completions) await handler({ data: finalRecord(`done-${next++}`, now), attemptsMade: 0 } as Job<MonitorResult, boolean>);
  };
  await Promise.all(Array.from({ length: context.config.concurrency }, loop));
  return tally.check(fleet);
};

/** A BullMQ completion worker running the handler over N completion jobs queued beforehand. */
const workerRound: Round = async (context, fleet, completions, results) => {
  await fleet.reset();
  const now = Date.now();
  await fleet.queues.completions.addBulk(Array.from({ length: completions }, (_, i) => {
    const result = finalRecord(`done-${i}`, now);
    return { name: COMPLETION_JOB, data: result, opts: { ...COMPLETION_JOB_OPTIONS, jobId: toQueueJobId(result.monitorId) } };
  }));
  await settle();
  const tally = persistTally(completions);
  const processor = createCompletionProcessor({ results, logger: fleet.logger, observer: tally.observer });
  const connection = createRedis(context.config.redisUrl);
  const worker = new Worker<MonitorResult, boolean>(COMPLETION_QUEUE, processor, { connection, prefix: fleet.prefix, concurrency: context.config.concurrency });
  try {
    return await tally.check(fleet);
  } finally {
    await worker.close();
    await connection.quit();
  }
};

/** Counts persisted results (and how many were new); `check` waits for all, then checks the rows. */
function persistTally(completions: number) {
  const counter = new EventCounter(completions);
  let inserted = 0;
  return {
    observer: {
      persisted(event: { inserted: boolean }) {
        if (event.inserted) inserted++;
        counter.tick();
      },
    },
    async check(fleet: JobwatchFleet): Promise<number> {
      const rate = await counter.rate();
      const rows = await fleet.persistedRows();
      if (rows !== completions || inserted !== completions) {
        throw new Error(`bench: ${completions} completions left ${rows} rows, ${inserted} reported new`);
      }
      return rate;
    },
  };
}

function finalRecord(monitorId: string, now: number): MonitorResult {
  return {
    monitorId, jobId: monitorId, outcome: 'completed', jobStatus: 'Completed', polls: 20,
    startedAt: now - 60_000, finishedAt: now, detail: { id: monitorId, status: 'Completed' }, metadata: null,
  };
}
