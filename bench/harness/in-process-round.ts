import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { combineObservers, type PollObserver } from '../../src/monitor/poll-observer.ts';
import type { StatusProvider } from '../../src/monitor/status-provider.ts';
import { JobwatchFleet, monitorInputs, type BenchSource } from './jobwatch-fleet.ts';
import { EventCounter, settle, waitUntil } from './measure.ts';
import { InMemoryStatusProvider } from './memory-status.ts';
import type { ScenarioContext } from './scenario.ts';

/*
 * The harness: jobwatch's workers run inside the bench process (startWorkers with a status provider
 * of the bench's), not the `jobwatch worker` process users start. Its rows are a breakdown beneath
 * the shipped ones, labelled as such: what the process around the workers (config, the gate, the
 * history writer, logs, the hook) adds shows as the difference.
 */

/** A fleet on a prefix and database of its own, and one timed in-memory round of the harness on it. */
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
