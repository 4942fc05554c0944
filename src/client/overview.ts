import type { Database } from '../db/drizzle-database.ts';
import { countEndsByOutcome } from '../db/end-counts.ts';
import {
  checkTimings, countEndsByHour, END_CHART_HOURS, hostHealth, OVERVIEW_WINDOWS, type CheckTimings, type HostHealth,
} from '../db/overview.ts';
import { noEnds, OUTCOMES, type Outcome } from '../monitor/statuses.ts';
import { PENDING_RECORD_STATES, RUNNING_JOB_STATES } from '../queue/job-states.ts';
import type { MonitorQueues } from '../queue/queues.ts';
import type { NamespaceScope } from '../monitor/namespace.ts';
import { namespaceOf, splitMonitorKey } from '../monitor/namespace.ts';
import { fromQueueJobId } from '../monitor/queue-job-id.ts';

/** Running monitors by what their poll job is doing, summed over the poll shards. */
export interface RunningCounts {
  /** Delayed until their next poll. */
  scheduled: number;
  /** A poll in flight. */
  polling: number;
  /** Due, waiting for a free worker (or held in a paused queue): a backlog that stays means the workers are short. */
  due: number;
}

/** Ended monitors of one outcome over the last hour, day and week (OVERVIEW_WINDOWS). */
export interface OutcomeCounts {
  outcome: Outcome;
  hour: number;
  day: number;
  week: number;
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

/** @internal */
export interface OverviewSources {
  db: Database;
  queues: MonitorQueues;
}

/**
 * Reads the overview: counts from the queues (as the list and the board do), the rest from
 * Postgres, at once; of these namespaces only, or of every one (`undefined`).
 * @internal
 */
export async function readOverview(sources: OverviewSources, now: number, namespaces?: NamespaceScope): Promise<Overview> {
  const [outcomes, buckets, timings, hosts, running, pendingRecords] = await Promise.all([
    countEndsByOutcome(sources.db, windowStarts(now), new Date(now), namespaces),
    countEndsByHour(sources.db, now, namespaces),
    checkTimings(sources.db, now, namespaces),
    hostHealth(sources.db, now, namespaces),
    namespaces ? countRunningIn(sources.queues, namespaces) : countRunning(sources.queues),
    namespaces ? countPendingIn(sources.queues, namespaces) : countPending(sources.queues),
  ]);
  const endsByHour = Array.from({ length: END_CHART_HOURS }, noEnds);
  for (const { bucket, outcome, count } of buckets) {
    const hour = endsByHour[bucket];
    if (hour && outcome in hour) hour[outcome as Outcome] = count;
  }
  return {
    at: now,
    outcomes: OUTCOMES.map((outcome) => ({ outcome, hour: outcomes.hour[outcome], day: outcomes.day[outcome], week: outcomes.week[outcome] })),
    running,
    pendingRecords,
    endsByHour,
    timings,
    hosts,
  };
}

function windowStarts(now: number): Record<keyof typeof OVERVIEW_WINDOWS, Date> {
  const { hour, day, week } = OVERVIEW_WINDOWS;
  return { hour: new Date(now - hour), day: new Date(now - day), week: new Date(now - week) };
}

/** Every running state is counted once: delayed is scheduled, active is polling, the rest is due. */
async function countRunning(queues: MonitorQueues): Promise<RunningCounts> {
  const shards = await Promise.all(queues.pollShards.map((queue) => queue.getJobCounts(...RUNNING_JOB_STATES)));
  const counts: RunningCounts = { scheduled: 0, polling: 0, due: 0 };
  for (const [state, n] of shards.flatMap((byState) => Object.entries(byState))) {
    if (state === 'delayed') counts.scheduled += n;
    else if (state === 'active') counts.polling += n;
    else counts.due += n;
  }
  return counts;
}

/**
 * As countRunning, of some namespaces only: BullMQ counts a state's jobs but cannot tell their
 * namespaces apart, so each job id (which holds the monitor's key) is read and sorted.
 */
async function countRunningIn(queues: MonitorQueues, namespaces: readonly string[]): Promise<RunningCounts> {
  const counts: RunningCounts = { scheduled: 0, polling: 0, due: 0 };
  const inScope = (queueJobId: string) => namespaces.includes(splitMonitorKey(fromQueueJobId(queueJobId)).namespace);
  for (const queue of queues.pollShards) {
    for (const state of RUNNING_JOB_STATES) {
      const n = (await queue.getRanges([state], 0, -1)).filter(inScope).length;
      if (state === 'delayed') counts.scheduled += n;
      else if (state === 'active') counts.polling += n;
      else counts.due += n;
    }
  }
  return counts;
}

async function countPendingIn(queues: MonitorQueues, namespaces: readonly string[]): Promise<number> {
  const jobs = await queues.completions.getJobs([...PENDING_RECORD_STATES]);
  return jobs.filter((job) => job?.data && namespaces.includes(namespaceOf(job.data))).length;
}

async function countPending(queues: MonitorQueues): Promise<number> {
  const counts = await queues.completions.getJobCounts(...PENDING_RECORD_STATES);
  return Object.values(counts).reduce((total, n) => total + n, 0);
}
