import { DelayedError, type Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { MonitorContext, MonitorResult } from '../monitor/context.ts';
import { decideAfterCheck, decideBeforeCheck, decideCancel, type PollPolicy } from '../monitor/decide.ts';
import { decideHold, isHeld, type Hold } from '../monitor/gate/hold.ts';
import { toQueueJobId } from '../monitor/queue-job-id.ts';
import { keyOf, namespaceField } from '../monitor/namespace.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import type { EndRequests } from './end-requests.ts';
import type { EarlyStatuses } from './early-statuses.ts';
import { decidePush } from '../monitor/push.ts';
import type { FaultHook } from './fault-points.ts';
import type { BullmqSeam } from './bullmq-seam.ts';
import type { PollObserver } from '../monitor/poll-observer.ts';
import { COMPLETION_JOB, COMPLETION_JOB_OPTIONS } from './queues.ts';
import { withPollSpans } from './poll-tracing.ts';
import type { SpanHandle } from '../monitor/span-handle.ts';

/**
 * What a poll throws after re-scheduling its job. One instance for all: BullMQ only checks its
 * type, and capturing a new stack trace per poll showed up in the bench's profile.
 */
const RESCHEDULED = new DelayedError('re-scheduled until its next poll');

export interface PollProcessorDeps {
  statusProvider: StatusProvider;
  completions: Queue<MonitorResult, boolean>;
  endRequests: EndRequests;
  /** Statuses pushed before the monitor started; its first poll takes them. */
  earlyStatuses?: EarlyStatuses;
  /** Writes the new context and re-schedules, unless an end was requested meanwhile. */
  bullmq: BullmqSeam;
  policy: PollPolicy;
  logger: Logger;
  /** @defaultValue Date.now */
  clock?: () => number;
  /** @defaultValue Math.random */
  random?: () => number;
  /** Test-only: called at each fault point of a poll. */
  faultHook?: FaultHook;
  /** Metrics: told about each check, re-schedule and end. */
  observer?: PollObserver;
}

/**
 * The BullMQ processor of the poll queue: one call is one poll of one monitor. It carries out what
 * the pure decision functions decide; its only job is doing the I/O in a crash-safe order.
 */
export function createPollProcessor(deps: PollProcessorDeps) {
  const clock = deps.clock ?? Date.now;
  const random = deps.random ?? Math.random;
  // Without a hook (production) a fault point costs nothing, not even an await.
  const fault = deps.faultHook;
  const observer = deps.observer ?? {};

  async function finishMonitor(job: Job<MonitorContext, MonitorResult>, result: MonitorResult, span: SpanHandle | undefined): Promise<MonitorResult> {
    // Recorded in the context first, so that a poll that runs again after a crash from here on
    // ends with this same record and does not call the status service again.
    if (!job.data.result) await job.updateData({ ...job.data, result });
    if (fault) await fault('after-context-write', result.monitorId);
    // The completion job's id is the monitor's, so a poll that runs again after a crash here adds
    // nothing new; and it is added before this poll job completes, so no crash can lose it.
    await deps.completions.add(COMPLETION_JOB, result, { ...COMPLETION_JOB_OPTIONS, jobId: toQueueJobId(keyOf(result)) });
    if (fault) await fault('after-completion-enqueue', result.monitorId);
    observer.ended?.(result);
    // The bindings a child logger would add, given directly: one line per monitor needs no child.
    deps.logger.info({ ...span?.logIds(), ...namespaceField(result), monitorId: result.monitorId, jobId: result.jobId, outcome: result.outcome, jobStatus: result.jobStatus, polls: result.polls }, 'monitor ended');
    return result;
  }

  /**
   * A request the gate held back: no check happened, so the poll is re-delayed to the hold's end
   * with its counts as they were. An end request (cancel or push) that came meanwhile still wins.
   */
  async function holdPoll(job: Job<MonitorContext, MonitorResult>, context: MonitorContext, hold: Hold, token: string, span: SpanHandle | undefined): Promise<MonitorResult> {
    const held = decideHold(context, hold);
    if ((await deps.bullmq.reschedule(job, held, held.nextCheckAt, token)) === 'end-requested') {
      return finishMonitor(job, (await deps.endRequests.requestedEnd(keyOf(context))) ?? decideCancel(held, clock()), span);
    }
    observer.held?.(hold);
    throw RESCHEDULED;
  }

  // `span`: the poll's, with tracing on (poll-tracing.ts); its status request is a child of it, and its log lines name it.
  return withPollSpans(async function pollMonitor(job: Job<MonitorContext, MonitorResult>, token?: string, span?: SpanHandle): Promise<MonitorResult> {
    let context = job.data;
    // A child logger per poll is measurable at thousands of polls a second; most polls log nothing.
    let childLogger: Logger | undefined;
    const log = () => (childLogger ??= deps.logger.child({ ...span?.logIds(), ...namespaceField(context), monitorId: context.monitorId, jobId: context.jobId }));
    const startedAt = clock();

    // A first run reaches the end-request check after its status call (below). A poll that runs
    // again, after its worker died or Redis failed it, checks first: a cancel or push may have come.
    // (Both counters only grow: a monitor that went through a crash keeps paying this GET.)
    // The request holds the record that decided the end (a cancel's, or a pushed status's).
    const rerun = job.stalledCounter > 0 || job.attemptsMade > 0;
    const requested = rerun ? await deps.endRequests.requestedEnd(keyOf(context)) : undefined;
    const before = decideBeforeCheck(context, startedAt, requested !== undefined);
    if (before.kind === 'finish') return finishMonitor(job, context.result ?? requested ?? before.result, span);

    // A status pushed before the monitor started: one GET in a monitor's life, at its first poll.
    const early = context.polls === 0 && deps.earlyStatuses ? await deps.earlyStatuses.take(keyOf(context)) : undefined;
    if (early) {
      observer.earlyPushTaken?.(context);
      const pushed = decidePush(context, early, startedAt, deps.policy.vocabulary);
      if (pushed.kind === 'finish') return finishMonitor(job, pushed.result, span);
      context = pushed.context;
    }

    const answer = await deps.statusProvider.read(context, span);
    if (isHeld(answer)) return holdPoll(job, context, answer.held, token!, span);
    const reading = answer;
    const checkedAt = clock();
    if (fault) await fault('after-status-check', context.monitorId);
    const lateMs = startedAt - context.nextCheckAt;
    observer.statusChecked?.({ context, reading, lateMs, durationMs: checkedAt - startedAt });
    if (deps.logger.isLevelEnabled('debug')) {
      log().debug({ status: reading.ok ? reading.status : undefined, failure: reading.ok ? undefined : reading.failure.reason, lateMs }, 'polled');
    }
    const after = decideAfterCheck(context, reading, checkedAt, deps.policy, random(), deps.statusProvider.batches?.(context) ?? false);
    // History is handed on in memory and written in batches elsewhere: no round trip here.
    observer.checked?.({ context, reading, checkedAt, lateMs, durationMs: checkedAt - startedAt, ends: after.kind === 'finish' });
    if (after.kind === 'finish') return finishMonitor(job, after.result, span);

    // The end-request check, the new context and the delay are one step (see BullmqSeam.reschedule):
    // a crash leaves either the old context with the job still active (stall recovery re-runs this
    // poll, its count unchanged) or the new context with the job delayed; and an end request that
    // arrived while the status call was in flight wins over polling again.
    if ((await deps.bullmq.reschedule(job, after.context, after.at, token!)) === 'end-requested') {
      return finishMonitor(job, (await deps.endRequests.requestedEnd(keyOf(context))) ?? decideCancel(after.context, clock()), span);
    }
    if (fault) await fault('after-reschedule', context.monitorId);
    observer.rescheduled?.({ reason: after.reason, delayMs: after.at - checkedAt });
    if (after.reason === 'retry' && !reading.ok) {
      log().warn(
        { reason: reading.failure.reason, error: reading.failure.message, consecutiveFailures: after.context.consecutiveFailures, retryAt: new Date(after.at).toISOString() },
        'status check failed; will retry',
      );
    } else if (deps.logger.isLevelEnabled('debug')) {
      log().debug({ nextPollAt: new Date(after.at).toISOString(), polls: after.context.polls }, 're-scheduled');
    }
    // Tells BullMQ the job was moved on purpose: it neither completes nor fails.
    throw RESCHEDULED;
  });
}
