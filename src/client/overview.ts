import type { Database } from '../db/drizzle-database.ts';
import {
  checkTimings, countEndsByHour, countOutcomes, END_CHART_HOURS, hostHealth, type CheckTimings, type HostHealth, type OutcomeCounts,
} from '../db/overview.ts';
import { OUTCOMES, type Outcome } from '../monitor/statuses.ts';
import type { MonitorQueues } from '../queue/queues.ts';

/** Running monitors by what their poll job is doing, summed over the poll shards. */
export interface RunningCounts {
  /** Delayed until their next poll. */
  scheduled: number;
  /** A poll in flight. */
  polling: number;
  /** Due, waiting for a free worker: a backlog that stays means the workers are short. */
  due: number;
}

/** What the monitors page's overview shows, read at `at`. */
export interface Overview {
  at: number;
  /** Every outcome, with zeros where none ended. */
  outcomes: OutcomeCounts[];
  running: RunningCounts;
  /** Final records waiting in Redis for Postgres. */
  pendingRecords: number;
  /** Ends per hour over the last END_CHART_HOURS hours, oldest first, each by outcome. */
  endsByHour: Record<Outcome, number>[];
  timings: CheckTimings;
  hosts: HostHealth[];
}

export interface OverviewSources {
  db: Database;
  queues: MonitorQueues;
}

/** Reads the overview: counts from the queues (as the list and the board do), the rest from Postgres, at once. */
export async function readOverview(sources: OverviewSources, now: number): Promise<Overview> {
  const [outcomes, buckets, timings, hosts, running, pendingRecords] = await Promise.all([
    countOutcomes(sources.db, now),
    countEndsByHour(sources.db, now),
    checkTimings(sources.db, now),
    hostHealth(sources.db, now),
    countRunning(sources.queues),
    countPending(sources.queues),
  ]);
  const zeros = () => Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<Outcome, number>;
  const endsByHour = Array.from({ length: END_CHART_HOURS }, zeros);
  for (const { bucket, outcome, count } of buckets) {
    const hour = endsByHour[bucket];
    if (hour && outcome in hour) hour[outcome as Outcome] = count;
  }
  return {
    at: now,
    outcomes: OUTCOMES.map((outcome) => outcomes.find((row) => row.outcome === outcome) ?? { outcome, hour: 0, day: 0, week: 0 }),
    running,
    pendingRecords,
    endsByHour,
    timings,
    hosts,
  };
}

async function countRunning(queues: MonitorQueues): Promise<RunningCounts> {
  const shards = await Promise.all(queues.pollShards.map((queue) => queue.getJobCounts('delayed', 'active', 'waiting', 'prioritized')));
  const sum = (pick: (counts: Record<string, number>) => number) => shards.reduce((total, counts) => total + pick(counts), 0);
  return {
    scheduled: sum((c) => c.delayed ?? 0),
    polling: sum((c) => c.active ?? 0),
    due: sum((c) => (c.waiting ?? 0) + (c.prioritized ?? 0)),
  };
}

async function countPending(queues: MonitorQueues): Promise<number> {
  const counts = await queues.completions.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
  return Object.values(counts).reduce((total, n) => total + n, 0);
}
