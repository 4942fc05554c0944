import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { monitorResults } from '../../src/db/schema.ts';
import { COMPLETION_QUEUE, POLL_QUEUE } from '../../src/queue/queues.ts';
import type { FaultPoint } from '../../src/queue/fault-points.ts';
import { createIsolation } from '../helpers/isolation.ts';
import { startPrivateRedis } from '../helpers/private-redis.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { maxInTrustedWindows } from '../helpers/arrival-windows.ts';
import { startStatusServer, type ScriptedAnswer } from '../helpers/status-server.ts';
import { watchLoopStalls, type LoopStalls } from '../helpers/loop-stalls.ts';
import { waitFor } from '../helpers/wait.ts';
import { countRows } from '../helpers/results.ts';

const CRASHING_WORKER = fileURLToPath(new URL('./crashing-worker.ts', import.meta.url));

export interface ChaosOptions {
  monitors: number;
  workers: number;
  /**
   * SIGKILL a random worker (and start a fresh one) when the status calls made reach these shares
   * of the calls the monitors need to end, e.g. [0.1, 0.3, 0.6]. Kills follow progress, not the
   * clock, so each of them happens, while polls are in flight, however fast or slow the machine.
   */
  killAt?: number[];
  /** Fault points where workers crash themselves, and how likely at each pass of each. */
  crashAt?: Partial<Record<FaultPoint, number>>;
  /** Points where one worker crashes once, at the poll of the given monitor (job id `chaos-<i>`). */
  crashOnce?: Partial<Record<FaultPoint, string>>;
  /** Each monitor's job reports Processing 0..maxRunningPolls-1 times before its final status. */
  maxRunningPolls: number;
  /** Overrides maxRunningPolls: how many times monitor i reports Processing. */
  runningPolls?: (i: number) => number;
  intervalMs: number;
  lockDurationMs: number;
  /** The outer bound of the run; a loaded machine may need many times a quiet one's minute. */
  timeoutMs: number;
  /**
   * Give up sooner when nothing moves for this long: no status call and no monitor ended (a lost
   * chain, or workers that cannot start). Progress, not the clock, decides a slow run's fate.
   * @defaultValue no such check: only timeoutMs
   */
  stallMs?: number;
  /**
   * Run on a private redis-server started with these arguments instead of the shared one. With
   * `--hz 100` its timers fire every 10 ms instead of 100 ms, so a single monitor can poll fast.
   */
  privateRedisArgs?: string[];
  /** More environment for the workers, e.g. JOBWATCH_RATE_LIMITS. */
  workerEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export interface ChaosReport {
  monitors: number;
  kills: number;
  /** The status calls made when each kill happened. */
  killedAtCalls: number[];
  /** The status calls the monitors need to end, without crashes (a re-run poll may add some). */
  neededCalls: number;
  selfCrashes: number;
  /** Self-crashes by fault point. */
  crashesAt: Record<string, number>;
  /**
   * The points crashed by `crashOnce`, read from their marker folders, each made just before its
   * SIGKILL: proof that does not depend on the dying worker's last stderr line reaching us.
   */
  crashedOnceAt: string[];
  rows: number;
  lost: number;
  doubled: number;
  wrongOutcome: number;
  overlappingPolls: number;
  pollsAfterEnd: number;
  leftInRedis: number;
  statusCalls: number;
  /**
   * The most status calls that arrived in any 1-s window of the run that no stall of this process's
   * event loop blurred (calls waiting out a stall are stamped together at its end, closer than they came).
   */
  maxCallsPerSecond: number;
  /** How many windows that figure judged, of `statusCalls`. */
  judgedWindows: number;
  seconds: number;
}

/**
 * Runs monitors through worker processes that are SIGKILLed at random (and, optionally, crash
 * themselves at fault points), then checks every monitor ended exactly once, correctly, with no
 * overlapping status calls and nothing left behind. `npm run chaos` and the chaos test share it.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const started = process.hrtime.bigint();
  const privateRedis = options.privateRedisArgs ? await startPrivateRedis(options.privateRedisArgs) : undefined;
  const redisUrl = privateRedis?.url ?? TEST_REDIS_URL;
  const iso = await createIsolation();
  const server = await startStatusServer();
  const stalls = watchLoopStalls();
  const markerDir = mkdtempSync(join(tmpdir(), 'jobwatch-chaos-'));
  const client = new JobwatchClient({ config: iso.config({ JOBWATCH_MIN_INTERVAL: '1ms', REDIS_URL: redisUrl }), database: iso.database });
  const workers = new Set<ChildProcess>();
  /** Workers alive and not yet killed: the candidates for the next kill. */
  const killable = new Set<ChildProcess>();
  const killedAtCalls: number[] = [];
  let selfCrashes = 0;
  const crashesAt: Record<string, number> = {};
  let running = true;
  const env = iso.env({
    REDIS_URL: redisUrl,
    JOBWATCH_LOCK_DURATION: `${options.lockDurationMs}ms`,
    JOBWATCH_SHUTDOWN_TIMEOUT: '2s',
    CHAOS_CRASH_AT: Object.entries(options.crashAt ?? {}).map(([point, probability]) => `${point}:${probability}`).join(','),
    CHAOS_CRASH_ONCE: Object.entries(options.crashOnce ?? {}).map(([point, monitorId]) => `${point}:${monitorId}`).join(','),
    CHAOS_MARKER_DIR: markerDir,
    LOG_LEVEL: 'error',
    ...options.workerEnv,
  });

  const startWorker = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CRASHING_WORKER], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (chunk: Buffer) => {
      for (const [, point] of chunk.toString().matchAll(/chaos: crashing at (\S+)/g)) {
        selfCrashes++;
        crashesAt[point!] = (crashesAt[point!] ?? 0) + 1;
      }
    });
    workers.add(child);
    killable.add(child);
    child.once('exit', () => {
      workers.delete(child);
      killable.delete(child);
      if (running) startWorker(); // a crashed worker is replaced, as a supervisor would
    });
  };

  const expected = new Map<string, string>();
  let neededCalls = 0;
  try {
    for (let i = 0; i < options.monitors; i++) {
      const jobId = `chaos-${i}`;
      const finalStatus = i % 7 === 0 ? 'Failed' : 'Completed';
      const runningPolls = options.runningPolls ? options.runningPolls(i) : i % options.maxRunningPolls;
      const running: ScriptedAnswer[] = Array.from({ length: runningPolls }, () => ({ status: 'Processing' }));
      if (options.crashOnce?.['after-reschedule'] === jobId) running[0] = untilCrashed(running[0], markerDir, 'after-reschedule');
      server.script(jobId, [...running, { status: finalStatus }]);
      expected.set(jobId, finalStatus === 'Failed' ? 'failed' : 'completed');
      neededCalls += runningPolls + 1;
    }
    // A monitor ends only after reading its final status, so every share below 1 of neededCalls is
    // reached while monitors still poll. The call that reaches it comes from a live worker, so there
    // is always one to kill (any of them: a worker still starting may already be polling, and a kill
    // that waited for a ready line could miss the run's end on a loaded machine).
    const killThresholds = (options.killAt ?? []).map((share) => Math.ceil(share * neededCalls)).sort((a, b) => a - b);
    server.onCall((calls) => {
      if (killedAtCalls.length >= killThresholds.length || calls < killThresholds[killedAtCalls.length]!) return;
      const victim = killRandomWorker([...killable]);
      if (!victim) return;
      killable.delete(victim); // not a candidate again while its exit is on the way
      killedAtCalls.push(calls);
    });
    await client.startMonitors([...expected.keys()].map((jobId) => ({ jobId, statusUrl: server.template, interval: options.intervalMs })));
    for (let i = 0; i < options.workers; i++) startWorker();

    let progress = { mark: -1, at: Date.now() };
    await waitFor(async () => {
      const rows = await countRows(iso);
      log(`rows ${rows}/${options.monitors}, kills ${killedAtCalls.length}, self-crashes ${selfCrashes}`);
      const mark = rows + server.totalCalls();
      if (mark > progress.mark) progress = { mark, at: Date.now() };
      else if (options.stallMs !== undefined && Date.now() - progress.at > options.stallMs) {
        throw new Error(`nothing moved for ${options.stallMs}ms: ${rows} of ${options.monitors} monitors ended`);
      }
      return rows >= options.monitors;
    }, { timeoutMs: options.timeoutMs, intervalMs: 1_000, what: 'every monitor to end' }).catch((error: Error) => log(error.message));

    // Anything that polls from now on would be a forked or zombie chain.
    const callsAtEnd = new Map([...expected.keys()].map((jobId) => [jobId, server.calls(jobId)]));
    // A worker killed after a completion leaves its poll job active until stall recovery (about two
    // lock durations) finishes it: give the survivors that long to drain Redis before counting.
    await waitFor(async () => (await leftInRedis(redisUrl, iso.prefix)) === 0, {
      timeoutMs: 4 * options.lockDurationMs + 5_000, intervalMs: 250, what: 'Redis to drain',
    }).catch((error: Error) => log(error.message));
    await new Promise((resolve) => setTimeout(resolve, Math.max(4 * options.intervalMs, 500)));

    const rows = await iso.database.db.select().from(monitorResults);
    const distinct = new Set(rows.map((row) => row.monitorId));
    const statusCalls = [...expected.keys()].reduce((sum, jobId) => sum + server.calls(jobId), 0);
    return {
      monitors: options.monitors,
      kills: killedAtCalls.length,
      killedAtCalls,
      neededCalls,
      selfCrashes,
      crashesAt,
      crashedOnceAt: readdirSync(markerDir).sort(),
      rows: rows.length,
      lost: [...expected.keys()].filter((jobId) => !distinct.has(jobId)).length,
      doubled: rows.length - distinct.size,
      wrongOutcome: rows.filter((row) => expected.get(row.monitorId) !== row.outcome).length,
      overlappingPolls: server.jobsWithOverlap().length,
      pollsAfterEnd: [...expected.keys()].filter((jobId) => server.calls(jobId) !== callsAtEnd.get(jobId)).length,
      leftInRedis: await leftInRedis(redisUrl, iso.prefix),
      statusCalls,
      ...trustedMaxCallsPerSecond(server.callTimes(), stalls),
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    running = false;
    stalls.stop();
    await Promise.all([...workers].map((worker) => new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.kill('SIGKILL');
    })));
    await client.close();
    await server.close();
    await iso.cleanup();
    await privateRedis?.stop();
    rmSync(markerDir, { recursive: true, force: true });
  }
}

/**
 * A monitor can end without any of its re-schedules reaching the point after it: each crash kills
 * every poll in flight in its worker, and a poll killed between its status call and that point
 * still used up a scripted answer. So the monitor planned to crash there keeps answering its first
 * running status until the crash happened (its marker folder exists), however often it is hit.
 * Other points need no help: no monitor ends before a poll passed its status check, its context
 * write and its completion enqueue, and the run waits for every poll job to complete.
 */
function untilCrashed(answer: ScriptedAnswer | undefined, markerDir: string, point: FaultPoint): ScriptedAnswer {
  if (!answer) throw new Error(`the monitor planned to crash at ${point} needs a running status to re-schedule on`);
  return { ...answer, repeatUntil: () => existsSync(join(markerDir, point)) };
}

/** SIGKILLs one of the workers at random and returns it; undefined when none could be killed. */
function killRandomWorker(candidates: ChildProcess[]): ChildProcess | undefined {
  const victim = candidates[Math.floor(Math.random() * candidates.length)];
  if (!victim?.pid || victim.exitCode !== null || victim.signalCode !== null) return undefined;
  try {
    process.kill(victim.pid, 'SIGKILL');
    return victim;
  } catch (error) {
    // It crashed itself at a fault point a moment ago; its exit event has not run yet.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw error;
  }
}

/** Jobs of monitors still in Redis: any poll job, or a completion not yet persisted. */
async function leftInRedis(redisUrl: string, prefix: string): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const polls = new Queue(POLL_QUEUE, { connection, prefix });
  const completions = new Queue(COMPLETION_QUEUE, { connection, prefix });
  try {
    const pollCounts = await polls.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed');
    const completionCounts = await completions.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
    return Object.values(pollCounts).reduce((a, b) => a + b, 0) + Object.values(completionCounts).reduce((a, b) => a + b, 0);
  } finally {
    await polls.close();
    await completions.close();
    await connection.quit();
  }
}

function trustedMaxCallsPerSecond(times: readonly number[], stalls: LoopStalls): { maxCallsPerSecond: number; judgedWindows: number } {
  const { most, judged } = maxInTrustedWindows(times, 1_000, (time) => !stalls.blurred(time));
  return { maxCallsPerSecond: most, judgedWindows: judged };
}
