import type { Database } from '../db/drizzle-database.ts';
import { readEndedPage, type EndedWanted } from '../db/ended-page.ts';
import { passesPosition, matchesFilter, readsMonitorData, type ListFilter } from '../monitor/list-filter.ts';
import { fromQueueJobId, toQueueJobId } from '../monitor/queue-job-id.ts';
import { keyOf, namespaceOf, splitMonitorKey } from '../monitor/namespace.ts';
import type { BullmqSeam } from '../queue/bullmq-seam.ts';
import { PENDING_RECORD_STATES, RUNNING_JOB_STATES } from '../queue/job-states.ts';
import type { MonitorQueues, PollQueue } from '../queue/queues.ts';
import { comparePositions, encodeCursor, type ListPosition, type ListQuery } from './list-query.ts';
import { pendingResultState, persistedResultState, runningState, type EndedMonitorState, type MonitorState } from './monitor-state.ts';

export interface MonitorPage {
  /** Running monitors newest-started first, then ended ones newest-finished first. */
  monitors: MonitorState[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** @internal */
export interface ListSources {
  queues: MonitorQueues;
  /** Reads the running monitors' start times. */
  bullmq: BullmqSeam;
  db: Database;
}

/** Running monitors read at a time while a filter that needs their data looks for a page's worth. */
const FILTER_CHUNK = 200;

/** A candidate for the page: its sort position, and how to read its state. */
interface Entry {
  position: ListPosition;
  load(): Promise<MonitorState | null>;
}

/**
 * One page of monitors: running ones from the poll queues in Redis, then ended ones from Postgres
 * (and from the completion queue while their record waits to be written).
 * @internal
 */
export async function listMonitors(sources: ListSources, query: ListQuery): Promise<MonitorPage> {
  const wanted = query.limit + 1; // one more than a page tells whether another page exists
  const entries: Entry[] = [];
  if ((query.state === undefined || query.state === 'running') && query.after?.part !== 'ended') {
    entries.push(...(await runningEntries(sources, query.after, wanted, query.filter)));
  }
  if (query.state !== 'running' && entries.length < wanted) {
    const after = query.after?.part === 'ended' ? query.after : undefined;
    entries.push(...(await endedEntries(sources, { outcome: query.state, filter: query.filter }, after, wanted - entries.length)));
  }
  const page = entries.slice(0, query.limit);
  const loaded = await Promise.all(page.map((entry) => entry.load()));
  return {
    // A running monitor that ended while the page was read is dropped here; it is on a later page.
    monitors: loaded.filter((state): state is MonitorState => state !== null),
    nextCursor: entries.length > query.limit ? encodeCursor(page[page.length - 1]!.position) : null,
  };
}

/**
 * Running monitors sorted by their poll job's creation time (the monitor's start), over all shards.
 * Only the start times are read for all of them, one small field per job; whole jobs only for the page.
 */
async function runningEntries({ queues, bullmq }: ListSources, after: ListPosition | undefined, count: number, filter: ListFilter | undefined): Promise<Entry[]> {
  const shards = await Promise.all(queues.pollShards.map((queue) => runningInShard(bullmq, queue)));
  const activeIds = new Set(shards.flatMap((shard) => shard.active));
  const positions = shards.flatMap((shard) => shard.positions).filter((position) => passesPosition(splitMonitorKey(position.monitorId).namespace, position.at, filter));
  const load = async (position: ListPosition) => {
    const queueJobId = toQueueJobId(position.monitorId);
    const job = await queues.pollsOf(position.monitorId).getJob(queueJobId);
    return job ? runningState(job, activeIds.has(queueJobId) ? 'active' : 'delayed') : null;
  };
  if (!readsMonitorData(filter)) {
    return selectAfter(positions, after, count).map((position) => ({ position, load: () => load(position) }));
  }
  // The job id and the metadata are in the job's data: read in chunks, newest first, until a page is found.
  const candidates = selectAfter(positions, after, positions.length);
  const found: Entry[] = [];
  for (let i = 0; i < candidates.length && found.length < count; i += FILTER_CHUNK) {
    const chunk = candidates.slice(i, i + FILTER_CHUNK);
    const states = await Promise.all(chunk.map(load));
    chunk.forEach((position, j) => {
      const state = states[j];
      if (state && matchesFilter({ ...state, at: position.at }, filter)) found.push({ position, load: async () => state });
    });
  }
  return found.slice(0, count);
}

async function runningInShard(bullmq: BullmqSeam, queue: PollQueue): Promise<{ active: string[]; positions: ListPosition[] }> {
  // `active` apart as well, to tell the polls in flight; a job that moves between the two reads is in both.
  const [active, running] = await Promise.all([queue.getRanges(['active'], 0, -1), queue.getRanges([...RUNNING_JOB_STATES], 0, -1)]);
  const ids = [...new Set([...active, ...running])];
  const startTimes = await bullmq.addedAt(queue, ids);
  const positions: ListPosition[] = [];
  ids.forEach((queueJobId, i) => {
    const at = startTimes[i];
    if (at !== undefined) positions.push({ part: 'running', at, monitorId: fromQueueJobId(queueJobId) });
  });
  return { active, positions };
}

/** Ended monitors by finish time: rows from Postgres merged with records still in Redis. */
async function endedEntries(sources: ListSources, wanted: EndedWanted, after: ListPosition | undefined, count: number): Promise<Entry[]> {
  const [rows, pending] = await Promise.all([
    readEndedPage(sources.db, wanted, after, count),
    readPending(sources.queues, wanted),
  ]);
  const byId = new Map<string, EndedMonitorState>();
  for (const state of pending) byId.set(keyOf(state), state);
  for (const row of rows) byId.set(keyOf(row), persistedResultState(row)); // the written record wins
  const positions = [...byId.entries()].map(([key, state]): ListPosition => ({ part: 'ended', at: Date.parse(state.finishedAt), monitorId: key }));
  return selectAfter(positions, after, count).map((position) => {
    const state = byId.get(position.monitorId)!;
    return { position, load: async () => state };
  });
}

/** Records waiting for Postgres: few, since a record is written within moments unless Postgres is down. */
async function readPending(queues: MonitorQueues, { outcome, filter }: EndedWanted): Promise<EndedMonitorState[]> {
  const jobs = await queues.completions.getJobs([...PENDING_RECORD_STATES]);
  return jobs
    .filter((job) => job?.data && (!outcome || job.data.outcome === outcome) && matchesFilter({ ...job.data, namespace: namespaceOf(job.data), at: job.data.finishedAt }, filter))
    .map((job) => pendingResultState(job.data));
}

function selectAfter(positions: ListPosition[], after: ListPosition | undefined, count: number): ListPosition[] {
  return positions
    .filter((position) => !after || comparePositions(position, after) > 0)
    .sort(comparePositions)
    .slice(0, count);
}
