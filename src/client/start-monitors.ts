import type { Database } from '../db/drizzle-database.ts';
import { findWatchedJobIds } from '../db/results.ts';
import { InvalidInputError } from '../errors/errors.ts';
import { jobIdOf, type MonitorContext } from '../monitor/context.ts';
import { isValidatedMonitor, parseMonitorInput, type MonitorDefaults, type MonitorInput, type ValidatedMonitor } from '../monitor/input.ts';
import { toQueueJobId } from '../monitor/queue-job-id.ts';
import { keyOf, namespaceOf } from '../monitor/namespace.ts';
import type { BullmqSeam } from '../queue/bullmq-seam.ts';
import { POLL_JOB, POLL_JOB_OPTIONS, type MonitorQueues } from '../queue/queues.ts';

/**
 * Monitors checked and enqueued per round trip. Large enough that Redis and Postgres see few
 * calls, small enough that one chunk's pipeline and `addBulk` stay well under a megabyte.
 */
export const START_CHUNK_SIZE = 1_000;
/**
 * Chunks in flight at once: while Redis or Postgres answers one chunk, the next is being built,
 * so neither side waits for the other. Chunks hold disjoint monitor ids, so they cannot race.
 */
export const START_CHUNKS_IN_FLIGHT = 4;

/** What `startMonitors` did with one distinct monitor id. */
export interface BulkStartedMonitor {
  namespace: string;
  monitorId: string;
  jobId: string;
  /** False when a monitor with this id already existed (running, waiting to be persisted, or ended). */
  created: boolean;
  /** Set when the existing monitor watches another job (null: an operation with no job id): nothing was started for this input. */
  conflictingJobId?: string | null;
}

export interface StartMonitorsResult {
  /** One entry per distinct monitor id, in the order the ids first appear in the input. */
  monitors: BulkStartedMonitor[];
  created: number;
  existing: number;
  conflicts: number;
}

/** @internal */
export interface StartMonitorsDeps {
  queues: MonitorQueues;
  /** Reads which monitors already have a job, and for which job. */
  bullmq: BullmqSeam;
  db: Database;
  defaults: MonitorDefaults;
  now: number;
}

/**
 * Starts many monitors. Every input is validated first, so one bad input rejects the whole call
 * with nothing enqueued. An id that already exists anywhere a monitor can be is reported, not
 * started again; the same id twice in one call is one monitor. If Redis or Postgres fails part-way,
 * some chunks may have been started: calling again with the same inputs starts only the rest.
 * @internal
 */
export async function startMonitors(deps: StartMonitorsDeps, inputs: readonly (MonitorInput | ValidatedMonitor)[]): Promise<StartMonitorsResult> {
  const contexts = parseAll(inputs, deps.defaults, deps.now);
  const chunks: MonitorContext[][] = [];
  for (let start = 0; start < contexts.length; start += START_CHUNK_SIZE) chunks.push(contexts.slice(start, start + START_CHUNK_SIZE));
  const started: BulkStartedMonitor[][] = new Array(chunks.length);
  let next = 0;
  const startChunks = async () => {
    while (next < chunks.length) {
      const index = next++;
      started[index] = await startChunk(deps, chunks[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(START_CHUNKS_IN_FLIGHT, chunks.length) }, startChunks));
  return summarize(started.flat());
}

function summarize(monitors: BulkStartedMonitor[]): StartMonitorsResult {
  const result: StartMonitorsResult = { monitors, created: 0, existing: 0, conflicts: 0 };
  for (const entry of monitors) {
    if (entry.created) result.created++;
    else if (entry.conflictingJobId === undefined) result.existing++;
    else result.conflicts++;
  }
  return result;
}

/** Validates every raw input and collapses repeated ids; the error's path starts with the input's index. */
function parseAll(inputs: readonly (MonitorInput | ValidatedMonitor)[], defaults: MonitorDefaults, now: number): MonitorContext[] {
  if (!Array.isArray(inputs)) throw new InvalidInputError('inputs', 'must be an array of monitor inputs');
  const byId = new Map<string, { context: MonitorContext; index: number }>();
  inputs.forEach((input, index) => {
    const context = parseIndexed(input, index, defaults, now);
    const first = byId.get(keyOf(context));
    if (!first) byId.set(keyOf(context), { context, index });
    else if (first.context.jobId !== context.jobId) {
      throw new InvalidInputError(
        ['inputs', index, 'monitorId'],
        `${context.monitorId} is given at inputs[${first.index}] for job ${first.context.jobId}; one monitor id watches one job`,
      );
    }
  });
  return [...byId.values()].map((entry) => entry.context);
}

function parseIndexed(input: MonitorInput | ValidatedMonitor, index: number, defaults: MonitorDefaults, now: number): MonitorContext {
  if (isValidatedMonitor(input)) return input;
  try {
    return parseMonitorInput(input, defaults, now);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw error.under(['inputs', index]);
  }
}

async function startChunk(deps: StartMonitorsDeps, chunk: MonitorContext[]): Promise<BulkStartedMonitor[]> {
  const existing = await findExistingJobIds(deps, chunk.map(keyOf));
  const fresh = chunk.filter((context) => !existing.has(keyOf(context)));
  // Job ids are the monitors': a producer racing this one past the check still adds one job only,
  // because BullMQ keeps the first job with a given id.
  for (const [queue, contexts] of groupBy(fresh, (context) => deps.queues.pollsOf(keyOf(context)))) {
    await queue.addBulk(contexts.map((context) => pollJob(context)));
  }
  return chunk.map((context) => {
    const existingJobId = existing.get(keyOf(context));
    const entry: BulkStartedMonitor = { namespace: namespaceOf(context), monitorId: context.monitorId, jobId: jobIdOf(context), created: existingJobId === undefined };
    if (existingJobId !== undefined && existingJobId !== context.jobId) entry.conflictingJobId = existingJobId;
    return entry;
  });
}

/** A monitor's poll job, as `addBulk` takes it; `delayMs` holds its first poll back (by default, until its `nextCheckAt`). @internal */
export function pollJob(context: MonitorContext, delayMs = context.nextCheckAt - context.startedAt) {
  return {
    name: POLL_JOB,
    data: context,
    opts: { ...POLL_JOB_OPTIONS, jobId: toQueueJobId(keyOf(context)), ...(delayMs > 0 ? { delay: delayMs } : {}) },
  };
}

/**
 * The job id each already-existing monitor watches, by monitor key (namespace.ts). Read in the order a monitor
 * moves (poll job, completion job, row; each created before the previous one is removed), as
 * `getMonitor` does, so a monitor that ends meanwhile is still found.
 */
async function findExistingJobIds(deps: StartMonitorsDeps, monitorKeys: string[]): Promise<Map<string, string | null>> {
  const { queues, bullmq } = deps;
  const existing = new Map<string, string | null>();
  const record = (found: Map<string, string | null>) => {
    for (const [key, jobId] of found) if (!existing.has(key)) existing.set(key, jobId);
  };
  // One queue's keys share a hash slot, so each group is one command even on a Redis Cluster.
  const pollGroups = [...groupBy(monitorKeys, (key) => queues.pollsOf(key))];
  const inPolls = await Promise.all(pollGroups.map(([queue, ids]) => bullmq.watchedJobIds(queue, ids)));
  inPolls.forEach(record);
  record(await bullmq.watchedJobIds(queues.completions, monitorKeys));
  const notInRedis = monitorKeys.filter((key) => !existing.has(key));
  for (const [key, jobId] of await findWatchedJobIds(deps.db, notInRedis)) existing.set(key, jobId);
  return existing;
}

/** Items grouped by a key, in first-seen order. */
function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
