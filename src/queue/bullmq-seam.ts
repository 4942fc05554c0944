import { createRequire } from 'node:module';
import { Job } from 'bullmq';
import type { BullmqPath } from '../config/config.ts';
import type { MonitorContext, MonitorResult } from '../monitor/context.ts';
import { toQueueJobId } from '../monitor/queue-job-id.ts';
import { keyOf, type MonitorRef } from '../monitor/namespace.ts';
import type { EndRequests } from './end-requests.ts';
import type { CompletionQueue, PollQueue } from './queues.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { Script } from '../redis/script.ts';

/**
 * The one place jobwatch uses BullMQ beyond its documented API: the poll's combined
 * "write the context and re-schedule" step, and reads of single fields of job hashes. Everything
 * here has a public-API twin, selected by `BullmqPath`; the fast one is used only with the BullMQ
 * release it was written against, and the tests run both.
 */

export type { BullmqPath };

/** The BullMQ release the fast path was written against (its moveToDelayed script, its job hash). */
export const FAST_PATH_BULLMQ_VERSION = '5.81.5';

/** What a re-schedule did. `end-requested`: nothing was written; the monitor is to end with the requested record (a cancel's or a push's). */
export type RescheduleOutcome = 'rescheduled' | 'end-requested';

/** Reads fields of this many jobs per Redis round trip. */
const READ_BATCH = 1_000;

/** The monitor's running job (poll queue) or its final record (completion queue). */
type MonitorQueue = PollQueue | CompletionQueue;
type PollJob = Job<MonitorContext, MonitorResult>;

export interface BullmqSeamOptions {
  /** The connection the queues use; the raw reads and the re-schedule script run on it. */
  connection: RedisConnection;
  endRequests: EndRequests;
  /** JOBWATCH_BULLMQ_PATH. @defaultValue `fast` (when the installed BullMQ is the one it was written for) */
  path?: BullmqPath;
  /** Told, in one line, when `fast` was asked for but the installed BullMQ is another release. */
  warn?: (message: string) => void;
  /** Test-only: the BullMQ version to check. @defaultValue the installed one (its package.json) */
  bullmqVersion?: string;
}

export class BullmqSeam {
  /** The path in use: `public` when asked for, or when the fast one cannot be used with this BullMQ. */
  readonly path: BullmqPath;
  private readonly script: Script | undefined;

  constructor(private readonly options: BullmqSeamOptions) {
    const requested = options.path ?? 'fast';
    const fast = requested === 'fast' ? loadFastPath(options.bullmqVersion ?? installedBullmqVersion()) : undefined;
    if (fast && !('script' in fast)) options.warn?.(fast.reason);
    this.script = fast && 'script' in fast ? fast.script : undefined;
    this.path = this.script ? 'fast' : 'public';
  }

  /**
   * Writes the poll job's new context and moves it to delayed until `at`, unless an end was
   * requested for the monitor; then nothing is written and the poll ends the monitor instead.
   * On the fast path the end-request check, the context and the delay are one Redis script, so a
   * crash leaves either the old context with the job active (stall recovery runs the poll again)
   * or the new one with the job delayed, and an end request that lands during the poll is never
   * overtaken. The job's `delay` (and `opts.delay`) are counted from its `timestamp`, so that
   * `timestamp + delay`, which Bull Board shows as the next run, is `at`.
   */
  async reschedule(job: PollJob, context: MonitorContext, at: number, token: string): Promise<RescheduleOutcome> {
    if (!this.script) return this.reschedulePublicly(job, context, at, token);
    const delay = Math.max(0, at - job.timestamp);
    const args = scriptsOf(job).moveToDelayedArgs(job.id!, job.timestamp, token, delay, {
      skipAttempt: true,
      fieldsToUpdate: { data: JSON.stringify(context), opts: JSON.stringify(Job.optsAsJSON({ ...job.opts, delay })) },
    });
    args.splice(MOVE_TO_DELAYED_KEYS, 0, this.options.endRequests.keyOf(keyOf(context))); // KEYS[13], after BullMQ's keys
    const code = Number(await this.script.run(this.options.connection, MOVE_TO_DELAYED_KEYS + 1, args));
    if (code === END_REQUESTED) return 'end-requested';
    if (code !== 0) throw new RescheduleError(job.id!, code);
    job.data = context;
    job.delay = delay;
    return 'rescheduled';
  }

  /**
   * BullMQ's public step-job pattern, in two round trips. The context goes before `moveToDelayed`:
   * a crash between them leaves the new context on an active job, which stall recovery runs again;
   * no crash can lose the poll. The end-request check is sent with the context write (their order
   * does not matter: a poll that finds a request ends the monitor, and the context it wrote is its
   * last), so a request that lands in the one round trip before `moveToDelayed` is seen by the next
   * poll, after its status call. Each round trip more is time in which a crash of any other poll in this
   * process kills this one before its re-schedule lands (see the crash-points test).
   */
  private async reschedulePublicly(job: PollJob, context: MonitorContext, at: number, token: string): Promise<RescheduleOutcome> {
    const [, endRequested] = await Promise.all([job.updateData(context), this.options.endRequests.isRequested(keyOf(context))]);
    if (endRequested) return 'end-requested';
    await job.moveToDelayed(at, token);
    return 'rescheduled';
  }

  /**
   * The job id each of these monitors watches (by monitor key), for those that have a job in
   * `queue` (their running poll job, or their final record waiting for Postgres).
   */
  async watchedJobIds(queue: MonitorQueue, monitorKeys: readonly string[]): Promise<Map<string, string | null>> {
    const found = new Map<string, string | null>();
    const record = (data: MonitorRef & { jobId: string | null } | undefined) => {
      if (data && !found.has(keyOf(data))) found.set(keyOf(data), data.jobId);
    };
    if (!this.script) {
      for (const job of await this.jobsOf(queue, monitorKeys.map(toQueueJobId))) record(job?.data);
      return found;
    }
    const keys = await existingKeys(this.options.connection, monitorKeys.map((key) => queue.toKey(toQueueJobId(key))));
    const data = await this.readField(keys, 'data');
    // A job removed between the two reads has moved on (its record is in Postgres by now).
    for (const answer of data) if (answer !== undefined) record(JSON.parse(answer) as MonitorRef & { jobId: string | null });
    return found;
  }

  /** When each job was added (a running monitor's start), in the order given; undefined for a job that is gone. */
  async addedAt(queue: MonitorQueue, queueJobIds: readonly string[]): Promise<(number | undefined)[]> {
    if (!this.script) return (await this.jobsOf(queue, queueJobIds)).map((job) => job?.timestamp);
    const times = await this.readField(queueJobIds.map((id) => queue.toKey(id)), 'timestamp');
    return times.map((value) => (value ? Number(value) : undefined));
  }

  /** One field of each job hash, a pipeline per batch; undefined where the job is gone. */
  private async readField(jobKeys: readonly string[], field: 'data' | 'timestamp'): Promise<(string | undefined)[]> {
    const values: (string | undefined)[] = [];
    for (let start = 0; start < jobKeys.length; start += READ_BATCH) {
      const pipeline = this.options.connection.pipeline();
      for (const key of jobKeys.slice(start, start + READ_BATCH)) pipeline.hget(key, field);
      for (const [error, value] of (await pipeline.exec()) ?? []) {
        if (error) throw error;
        values.push(typeof value === 'string' ? value : undefined);
      }
    }
    return values;
  }

  private async jobsOf(queue: MonitorQueue, queueJobIds: readonly string[]): Promise<(Job | undefined)[]> {
    const jobs: (Job | undefined)[] = [];
    for (let start = 0; start < queueJobIds.length; start += READ_BATCH) {
      jobs.push(...(await Promise.all(queueJobIds.slice(start, start + READ_BATCH).map((id) => (queue as PollQueue).getJob(id)))));
    }
    return jobs;
  }
}

/** A re-schedule that BullMQ's script refused; the poll fails and BullMQ retries it with backoff. */
export class RescheduleError extends Error {
  constructor(queueJobId: string, readonly code: number) {
    super(`could not re-schedule poll job ${queueJobId}: ${RESCHEDULE_REFUSALS[code] ?? `BullMQ's moveToDelayed answered ${code}`}; the poll is retried`);
    this.name = 'RescheduleError';
  }
}

/** moveToDelayed's answers (its Lua header and removeLock) that are not a re-schedule. */
const RESCHEDULE_REFUSALS: Record<number, string> = {
  [-1]: 'the job is gone (removed by a cancel, or by hand)',
  [-2]: "the job's lock is gone (it stalled and was taken back)",
  [-3]: 'the job is no longer active',
  [-6]: "another worker holds the job's lock (this poll stalled and was taken over)",
};

// ---- The fast path's script: BullMQ's moveToDelayed with an end-request check in front. ----

const MOVE_TO_DELAYED_KEYS = 12;
/** The end-request check's answer; BullMQ's script answers 0 or a negative code. */
const END_REQUESTED = 1;
/**
 * Runs before BullMQ's script, whose keys stay KEYS[1..12] and arguments ARGV[1..]. KEYS[13] is the
 * monitor's end request (a cancel's or a push's), in the poll queue's hash slot. Returning here
 * writes nothing. A string, not a .lua file: it is joined to BullMQ's own script at start-up.
 */
const END_REQUEST_CHECK = `if redis.call("EXISTS", KEYS[${MOVE_TO_DELAYED_KEYS + 1}]) == 1 then return ${END_REQUESTED} end\n`;

/** The part of BullMQ's (protected) script runner used: it builds moveToDelayed's keys and arguments. */
interface MoveToDelayedArgs {
  moveToDelayedArgs(
    jobId: string, timestamp: number, token: string, delay: number,
    opts: { skipAttempt: boolean; fieldsToUpdate: Record<string, string> },
  ): (string | number | Buffer)[];
}

function scriptsOf(job: PollJob): MoveToDelayedArgs {
  return (job as unknown as { scripts: MoveToDelayedArgs }).scripts;
}

/** The installed BullMQ's version, from its package.json (BullMQ exports none). */
export function installedBullmqVersion(): string {
  return (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version;
}

/** The fast path's script, or why it cannot be used with the installed BullMQ. */
function loadFastPath(version: string): { script: Script } | { reason: string } {
  const fallback = (why: string) => ({
    reason: `BullMQ ${version} ${why}: using its public API (updateData, then moveToDelayed), one more Redis round trip per poll; ` +
      `set JOBWATCH_BULLMQ_PATH=public to silence this, or install bullmq@${FAST_PATH_BULLMQ_VERSION}`,
  });
  if (version !== FAST_PATH_BULLMQ_VERSION) return fallback(`is not ${FAST_PATH_BULLMQ_VERSION}, the release jobwatch's fast re-schedule was written for`);
  try {
    const module = createRequire(import.meta.url)('bullmq/dist/cjs/scripts/moveToDelayed-12.js') as { moveToDelayed?: { content?: unknown; keys?: unknown } };
    const { content, keys } = module.moveToDelayed ?? {};
    if (typeof content !== 'string' || keys !== MOVE_TO_DELAYED_KEYS) return fallback('ships another moveToDelayed script');
    return { script: new Script(END_REQUEST_CHECK + content) };
  } catch (error) {
    return fallback(`has no moveToDelayed script where expected (${(error as Error).message.split('\n')[0]})`);
  }
}

// ---- Raw existence check of job keys (start-up of many monitors). ----

const EXISTING_KEYS = Script.fromFile(new URL('./existing-keys.lua', import.meta.url));

/**
 * Which of one queue's job keys exist, in one command: a pipeline of an EXISTS per key costs Redis
 * and the client a command each, which the bench showed to be most of the check. One queue's keys
 * share its hash slot, so the script also runs on a Redis Cluster.
 */
async function existingKeys(redis: RedisConnection, keys: string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const positions = (await EXISTING_KEYS.run(redis, keys.length, keys)) as number[];
  return positions.map((position) => keys[position - 1]!);
}
