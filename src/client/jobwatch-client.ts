import { monitorDefaults, operationDefaults, type Config } from '../config/config.ts';
import { isValidatedOperation, parseOperationInput, type OperationInput, type ValidatedOperation } from '../monitor/operation-input.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { findResult } from '../db/results.ts';
import { insertChecks, listChecks } from '../db/checks.ts';
import { findNotifications } from '../db/notification-outbox.ts';
import { countEndsByOutcome } from '../db/end-counts.ts';
import type { NamespaceScope } from '../monitor/namespace.ts';
import { checkPage, parseCheckQuery, type CheckPage, type CheckQueryInput } from './check-page.ts';
import { InvalidInputError, MonitorConflictError, MonitorNotFoundError } from '../errors/errors.ts';
import { MAX_ID_LENGTH } from '../monitor/input-limits.ts';
import { isValidatedMonitor, parseMonitorInput, type MonitorInput, type ValidatedMonitor } from '../monitor/input.ts';
import { decideCancel } from '../monitor/decide.ts';
import { toQueueJobId } from '../monitor/queue-job-id.ts';
import { keyOf, namespaceOf, refOf, type MonitorName, type MonitorRef } from '../monitor/namespace.ts';
import { EndRequests } from '../queue/end-requests.ts';
import { EarlyStatuses } from '../queue/early-statuses.ts';
import type { MonitorContext, MonitorResult } from '../monitor/context.ts';
import { pushRecordFor } from '../monitor/history.ts';
import { decidePush, isPushedResult, parsePushedStatus, type PushedStatus } from '../monitor/push.ts';
import { createVocabulary, type EndCounts, type StatusVocabulary } from '../monitor/statuses.ts';
import type { Job } from 'bullmq';
import { callbackUrl } from './callback-url.ts';
import type { PushAnswer } from './push-answer.ts';
import { assertLayout } from '../queue/layout-record.ts';
import { BullmqSeam } from '../queue/bullmq-seam.ts';
import { COMPLETION_JOB, COMPLETION_JOB_OPTIONS, openMonitorQueues, type MonitorQueues } from '../queue/queues.ts';
import { connectRedis, type RedisConnection } from '../redis/connection.ts';
import { listMonitors, type MonitorPage } from './list-monitors.ts';
import { parseListQuery, type ListQuery, type ListQueryInput } from './list-query.ts';
import { notificationState, pendingResultState, persistedResultState, runningState, type EndedMonitorState, type MonitorState } from './monitor-state.ts';
import { readOverview, type Overview } from './overview.ts';
import { pollJob, startMonitors, type StartMonitorsResult } from './start-monitors.ts';
import { MESSAGING_OPERATION_TYPE, MESSAGING_SYSTEM, MONITOR_ID, NAMESPACE } from '../tracing/attributes.ts';
import { startTracing, type CallerTrace, type Tracing } from '../tracing/tracing.ts';

export interface StartedMonitor {
  monitor: MonitorState;
  /** False when a monitor with this id already existed; nothing new was started. */
  created: boolean;
}

/** How a monitor is started, besides its input. */
export interface StartOptions {
  /**
   * The W3C trace context (`traceparent`, `tracestate`) the monitor's trace continues, as a request
   * carried it: the HTTP API passes its caller's. Unset: the active span of the application's own
   * OpenTelemetry context manager, if it registered one, else a new trace. Read only with tracing on.
   * @defaultValue none
   */
  trace?: CallerTrace;
}

export interface ReportOptions {
  /**
   * Called before a status is kept for a monitor that has not started (an early push); what it
   * throws is thrown, and nothing is kept. The API counts early pushes against quotas here.
   */
  beforeKeep?: (early: { namespace: string; key: string; pushed: PushedStatus }) => Promise<void>;
}

export interface ClientOptions {
  config: Config;
  /** Where ended monitors are read from. */
  database: DatabaseHandle;
  /** An existing connection to share; otherwise the client opens (and closes) its own. */
  connection?: RedisConnection;
  /** @defaultValue Date.now */
  clock?: () => number;
}

/**
 * The producer's API: start, inspect, cancel monitors and push statuses to them. The CLI, the quickstart and the HTTP
 * API are thin layers over it.
 */
export class JobwatchClient {
  private readonly queues: MonitorQueues;
  private readonly endRequests: EndRequests;
  private readonly bullmq: BullmqSeam;
  private readonly earlyStatuses: EarlyStatuses;
  private readonly vocabulary: StatusVocabulary;
  private readonly connection: RedisConnection;
  private readonly ownsConnection: boolean;
  private readonly clock: () => number;
  private readonly tracing: Promise<Tracing | undefined>;

  constructor(private readonly options: ClientOptions) {
    this.ownsConnection = !options.connection;
    this.connection = options.connection ?? connectRedis(options.config);
    this.queues = openMonitorQueues(this.connection, options.config);
    this.endRequests = new EndRequests(this.connection, this.queues);
    this.bullmq = new BullmqSeam({ connection: this.connection, endRequests: this.endRequests, path: options.config.bullmqPath });
    this.earlyStatuses = new EarlyStatuses(this.connection, this.queues);
    this.vocabulary = createVocabulary({ running: options.config.runningStatuses });
    this.clock = options.clock ?? Date.now;
    // Loads the OpenTelemetry SDK only if the config turns tracing on; a process that started it already shares it.
    this.tracing = startTracing(options.config, 'jobwatch');
  }

  /**
   * Starts a monitor: one poll job, due now. Raw input is validated here (InvalidInputError); a
   * `ValidatedMonitor` from `parseMonitorInput` is taken as it is. Starting a monitor id that
   * exists (running or ended) returns that monitor and starts nothing; one that exists for another
   * job throws MonitorConflictError.
   */
  async startMonitor(input: MonitorInput | ValidatedMonitor, options: StartOptions = {}): Promise<StartedMonitor> {
    const context = isValidatedMonitor(input) ? input : parseMonitorInput(input, this.defaults(), this.clock());
    await this.assertLayout();
    const existing = await this.getMonitor(context);
    if (existing) {
      if (existing.jobId !== context.jobId) {
        // The conflict is within the caller's own namespace: nothing of another's is named.
        throw new MonitorConflictError(
          `monitor ${context.monitorId} already exists for job ${existing.jobId}, not ${context.jobId}; choose another monitorId`,
        );
      }
      return { monitor: existing, created: false };
    }
    const job = await this.enqueue('start monitor', context, options.trace);
    return { monitor: this.withCallbackUrl(runningState(job, 'waiting')), created: true };
  }

  /**
   * Starts an operation (issue 20): a monitor whose first step is its source's start request, which
   * the workers send with an idempotency key, and which then watches what the start answered. Raw
   * input is validated here (InvalidInputError); a `ValidatedOperation` is taken as it is. The
   * operation's id is its monitor id: starting it again with the same source and request returns
   * the operation (`created: false`) and sends nothing; with another source or request it throws
   * MonitorConflictError, naming nothing of the other request.
   */
  async startOperation(input: OperationInput | ValidatedOperation, options: StartOptions = {}): Promise<StartedMonitor> {
    const operation = isValidatedOperation(input) ? input : parseOperationInput(input, operationDefaults(this.options.config), this.clock());
    await this.assertLayout();
    const existing = await this.getMonitor(operation);
    if (existing) {
      if (existing.operation?.fingerprint !== operation.operation.fingerprint) {
        throw new MonitorConflictError(`operation ${operation.monitorId} exists already for another request; choose another id`);
      }
      return { monitor: existing, created: false };
    }
    const job = await this.enqueue('start operation', operation, options.trace, 0);
    return { monitor: this.withCallbackUrl(runningState(job, 'waiting')), created: true };
  }

  /**
   * Adds a monitor's first poll job. With tracing on, this is the span that starts the monitor's
   * trace (a child of `caller`'s, or of the application's active span), and the context carries it to every poll.
   */
  private async enqueue(spanName: string, context: MonitorContext, caller: CallerTrace | undefined, delayMs?: number): Promise<Job<MonitorContext, MonitorResult>> {
    // The job id is the monitor's: if two producers race here, BullMQ keeps the first job only.
    const add = (data: MonitorContext) => {
      const job = pollJob(data, delayMs);
      return this.queues.pollsOf(keyOf(data)).add(job.name, job.data, job.opts);
    };
    const traced = await this.tracing;
    if (!traced) return add(context);
    const attributes = { [MONITOR_ID]: context.monitorId, [NAMESPACE]: context.namespace, [MESSAGING_SYSTEM]: 'bullmq', [MESSAGING_OPERATION_TYPE]: 'send' };
    return traced.startSpan(spanName, attributes, caller, (trace) => add(trace ? { ...context, trace } : context));
  }

  /**
   * Starts many monitors in chunks: all raw inputs are validated first (one bad input throws
   * InvalidInputError whose path starts with its index, `inputs[3].interval`, and nothing is
   * enqueued); `ValidatedMonitor`s are taken as they are; ids that exist are reported as existing
   * and not started again. See `startMonitors`.
   */
  async startMonitors(inputs: readonly (MonitorInput | ValidatedMonitor)[]): Promise<StartMonitorsResult> {
    const deps = { queues: this.queues, bullmq: this.bullmq, db: this.options.database.db, defaults: this.defaults(), now: this.clock() };
    await this.assertLayout();
    return startMonitors(deps, inputs);
  }

  /**
   * The monitor's state, or null when no monitor has that id. A monitor is named by its id (in the
   * default namespace) or by `{ namespace, monitorId }`, here and in every method that takes one.
   */
  async getMonitor(name: MonitorName): Promise<MonitorState | null> {
    const monitor = refOf(name);
    // Read in the order a monitor moves (poll job, then completion job, then row): each step is
    // created before the previous one is removed, so a monitor ending meanwhile is never missed.
    const key = keyOf(monitor);
    const pollJob = await this.queues.pollsOf(key).getJob(toQueueJobId(key));
    if (pollJob) {
      const bullState = await pollJob.getState();
      if (bullState !== 'completed' && bullState !== 'unknown') return this.withCallbackUrl(runningState(pollJob, bullState));
    }
    return this.endedState(monitor);
  }

  /** The final record: waiting in the completion queue, or persisted; null when there is none (yet). */
  private async endedState(monitor: MonitorRef): Promise<EndedMonitorState | null> {
    const completionJob = await this.queues.completions.getJob(toQueueJobId(keyOf(monitor)));
    if (completionJob && !(await completionJob.isCompleted())) return this.withCallbackUrl(pendingResultState(completionJob.data));
    const row = await findResult(this.options.database.db, monitor);
    if (!row) return null;
    const notifications = await findNotifications(this.options.database.db, monitor);
    return this.withCallbackUrl({ ...persistedResultState(row), ...(notifications.length > 0 ? { notifications: notifications.map(notificationState) } : {}) });
  }

  /**
   * A page of the monitor's status checks, oldest first, as its history mode kept them (see
   * JOBWATCH_HISTORY); pass the page's `nextCursor` back for the next one. Throws
   * MonitorNotFoundError when no monitor has that id and it has no history.
   */
  async getChecks(name: MonitorName, query: CheckQueryInput = {}): Promise<CheckPage> {
    const monitor = refOf(name);
    const { limit, afterSeq } = parseCheckQuery(query);
    const rows = await listChecks(this.options.database.db, monitor, { afterSeq, limit });
    // Rows outlive a monitor purged from the results (retention): they are its history all the same.
    if (rows.length === 0 && afterSeq === 0 && !(await this.getMonitor(monitor))) {
      throw new MonitorNotFoundError(`no monitor with id ${monitor.monitorId}`);
    }
    return checkPage(monitor.monitorId, rows, limit);
  }

  /**
   * Cancels a running monitor and records it as canceled; an ended monitor is returned as it is.
   * Throws MonitorNotFoundError when no monitor has that id.
   */
  async cancelMonitor(name: MonitorName): Promise<MonitorState> {
    const monitor = refOf(name);
    const key = keyOf(monitor);
    const pollJob = await this.queues.pollsOf(key).getJob(toQueueJobId(key));
    if (pollJob) {
      const ended = await this.endMonitor(pollJob, decideCancel(pollJob.data, this.clock()));
      if (ended) return ended;
    }
    const state = await this.getMonitor(monitor);
    if (!state) throw new MonitorNotFoundError(`no monitor with id ${monitor.monitorId}`);
    return state;
  }

  /**
   * Reports a job's status for its monitor (what `POST /api/monitors/:id/status` and `jobwatch
   * report` do). A terminal status ends a running monitor now; a running one is recorded as its
   * last status. `accepted` is false when the monitor had already ended (it is unchanged). For a
   * monitor id that has not started, the status is kept (JOBWATCH_EARLY_STATUS_TTL) and its first
   * poll takes it: the answer's state is `not-started`. Raw input is validated (InvalidInputError).
   */
  async reportStatus(name: MonitorName, input: PushedStatus | unknown, options: ReportOptions = {}): Promise<PushAnswer> {
    const monitor = refOf(name);
    const { monitorId } = monitor;
    const pushed = parsePushedStatus(input);
    if (monitorId.length === 0 || monitorId.length > MAX_ID_LENGTH) {
      throw new InvalidInputError('monitorId', `must be 1 to ${MAX_ID_LENGTH} characters`);
    }
    const key = keyOf(monitor);
    const polls = this.queues.pollsOf(key);
    let pollJob = await polls.getJob(toQueueJobId(key));
    if (!pollJob) {
      const ended = await this.endedState(monitor);
      if (ended) return { ...ended, accepted: false };
      const now = this.clock();
      await options.beforeKeep?.({ namespace: namespaceOf(monitor), key, pushed });
      await this.earlyStatuses.keep(key, pushed, this.options.config.earlyStatusTtlMs);
      // Kept first, then looked for again: a monitor that started in between had its first poll
      // before or after the status was kept; pushing to it as well is harmless (the end is decided once).
      pollJob = await polls.getJob(toQueueJobId(key));
      if (!pollJob) {
        const keptUntil = new Date(now + this.options.config.earlyStatusTtlMs).toISOString();
        return { namespace: namespaceOf(monitor), monitorId, state: 'not-started', accepted: true, status: pushed.status, keptUntil };
      }
    }
    // An end a poll decided before this push (and had no time to hand on) stands.
    const decision = pollJob.data.result ? { kind: 'finish' as const, result: pollJob.data.result } : decidePush(pollJob.data, pushed, this.clock(), this.vocabulary);
    const pushedTo = pollJob.data; // the context the push is a check of, before it is counted
    if (decision.kind === 'record') {
      // A poll in flight may write its own reading over this one: both are the job's latest word.
      await pollJob.updateData(decision.context);
      await this.recordPushInHistory(pushedTo, pushed.status, false);
      const state = await this.getMonitor(monitor);
      if (state) return { ...state, accepted: state.state !== 'ended' };
    } else {
      const ended = await this.endMonitor(pollJob, decision.result);
      // The record that won is this push's, or one decided before it (a poll's, a cancel's).
      const accepted = ended !== null && isRecordOf(ended, decision.result);
      if (accepted) await this.recordPushInHistory(pushedTo, pushed.status, true);
      if (ended) return { ...ended, accepted };
    }
    throw new MonitorNotFoundError(`no monitor with id ${monitorId}`);
  }

  /**
   * A pushed status in the monitor's history (source `push`), as its history mode keeps checks.
   * The push has happened whatever this write does: a history row may be lost (README, "Poll
   * history"), and a push must not answer an error for a status it did record.
   */
  private async recordPushInHistory(context: MonitorContext, status: string, ends: boolean): Promise<void> {
    const record = pushRecordFor(context, status, ends, this.clock(), this.options.config.history);
    if (record) await insertChecks(this.options.database.db, [record]).catch(() => undefined);
  }

  /** The callback URL of a monitor (known before it starts), or undefined without JOBWATCH_CALLBACK_SECRET. */
  callbackUrl(name: MonitorName): string | undefined {
    const { callbackSecret, publicUrl } = this.options.config;
    return callbackSecret ? callbackUrl(publicUrl, callbackSecret, refOf(name)) : undefined;
  }

  private withCallbackUrl<T extends MonitorState>(state: T): T {
    const url = this.callbackUrl(state);
    return url ? { ...state, callbackUrl: url } : state;
  }

  /**
   * Ends a running monitor with `record` (a cancel's or a push's), unless its end was decided
   * before; returns the final record that won. Order matters. The end request first (SET NX: the
   * first request decides), so that a poll in flight stops before re-scheduling; then the record
   * that won the request, so that it wins over a record that poll may add; then the job's removal,
   * which fails harmlessly (returns 0) when a poll holds its lock; then the poll sees the request,
   * and the worker clears it once the job has completed.
   */
  private async endMonitor(pollJob: Job<MonitorContext, MonitorResult>, record: MonitorResult): Promise<EndedMonitorState | null> {
    const { expireAt } = pollJob.data;
    const key = keyOf(pollJob.data);
    const queueJobId = toQueueJobId(key);
    const decided = await this.endRequests.request(record, expireAt);
    await this.queues.completions.add(COMPLETION_JOB, decided, { ...COMPLETION_JOB_OPTIONS, jobId: queueJobId });
    if ((await this.queues.pollsOf(key).remove(queueJobId)) === 1) await this.endRequests.clear(key);
    return this.endedState(pollJob.data);
  }

  /**
   * A page of monitors, running ones first, newest first; filter by `state` (running or an
   * outcome) and other fields, and pass the page's `nextCursor` back for the next one.
   * `namespaces` narrows the page to those a caller may read, over any `namespace` it names.
   */
  async listMonitors(query: ListQueryInput = {}, namespaces?: NamespaceScope): Promise<MonitorPage> {
    return listMonitors({ queues: this.queues, bullmq: this.bullmq, db: this.options.database.db }, withinNamespaces(parseListQuery(query), namespaces));
  }

  /**
   * How many monitors ended (their records written) since `since`, by outcome; every outcome is
   * present. One aggregate query over the finish-time index.
   */
  async countEnds(since: Date, namespaces?: NamespaceScope): Promise<EndCounts> {
    return (await countEndsByOutcome(this.options.database.db, { since }, undefined, namespaces)).since;
  }

  /**
   * What the monitors page's overview shows, read now: running counts from the queues, the rest
   * from Postgres; of these namespaces only, or of every one.
   */
  async readOverview(namespaces?: NamespaceScope): Promise<Overview> {
    return readOverview({ db: this.options.database.db, queues: this.queues }, this.clock(), namespaces);
  }

  async close(): Promise<void> {
    await this.queues.close();
    if (this.ownsConnection) await this.connection.quit();
  }

  /**
   * Checked before every start, not once: a producer that lives long must not add monitors to
   * queues that workers restarted with another JOBWATCH_SHARDS no longer read.
   */
  private async assertLayout(): Promise<void> {
    await assertLayout(this.connection, this.options.config.prefix, this.queues.layout);
  }

  private defaults() {
    return monitorDefaults(this.options.config);
  }
}

/** A list query narrowed to these namespaces as well (a key's), on top of any one the query names. */
function withinNamespaces(query: ListQuery, namespaces: NamespaceScope): ListQuery {
  if (namespaces === undefined) return query;
  const named = query.filter?.namespaces;
  return { ...query, filter: { ...query.filter, namespaces: named ? named.filter((name) => namespaces.includes(name)) : namespaces } };
}

/**
 * Whether the record that won is this push's. Two pushes of the same status in the same
 * millisecond are the same end, and both say so.
 */
function isRecordOf(ended: EndedMonitorState, pushed: MonitorResult): boolean {
  return isPushedResult(ended.detail) && ended.jobStatus === pushed.jobStatus && ended.finishedAt === new Date(pushed.finishedAt).toISOString();
}
