import type { Job } from 'bullmq';
import { z } from 'zod';
import type { MonitorNotificationRow, MonitorResultRow } from '../db/schema.ts';
import type { MonitorContext, MonitorResult } from '../monitor/context.ts';
import { OUTCOMES, type Outcome } from '../monitor/statuses.ts';
import { describeStatusSource, describeUrl } from '../monitor/describe-url.ts';
import { HISTORY_MODES } from '../monitor/history.ts';
import { namespaceOf } from '../monitor/namespace.ts';
import { describeHold } from '../monitor/gate/hold.ts';

/** An instant as the API and the CLI print it: ISO 8601 in UTC, e.g. `2026-11-25T16:35:28.579Z`. */
const isoTime = z.iso.datetime();
const metadata = z.record(z.string(), z.unknown()).nullable().meta({ description: "The producer's metadata" });
/** What an operation's start request answered, as the context and the record keep it. */
const startAnswer = z.object({
  status: z.int().meta({ description: "The start answer's HTTP status" }),
  watching: z.string().optional().meta({ description: 'The URL watched, as the answer named it (Operation-Location, Azure-AsyncOperation or Location)' }),
  jobId: z.string().optional().meta({ description: "The job id read at the source's start.jobIdPath" }),
});
const operation = z.object({
  fingerprint: z.string().meta({ description: "A hash of the operation's source, params and body: what tells a repeated start from another request" }),
  answer: startAnswer.optional().meta({ description: 'What its start request answered; absent while it has not' }),
}).optional().meta({ description: 'Set for an operation: jobwatch sent (or is sending) its start request' });
const callbackUrl = z.string().optional().meta({ description: 'Where the job may POST its status without an API token (only with JOBWATCH_CALLBACK_SECRET set)' });

/**
 * A running monitor, read from its poll job in Redis. The schemas here are the one description of
 * what `getMonitor`, `jobwatch status` and the HTTP API report: the types below are inferred from
 * them, and the OpenAPI document is generated from them.
 */
export const runningMonitorStateSchema = z.object({
  namespace: z.string().meta({ description: 'The namespace the monitor belongs to; its id is unique within it' }),
  monitorId: z.string(),
  jobId: z.string().nullable().meta({ description: "The job's id at its service; null for an operation that has none (yet, or for good: one that watches a URL its start answered, or whose start failed)" }),
  state: z.enum(['starting', 'scheduled', 'polling']).meta({
    description: '`starting`: an operation whose start request has not been answered yet (it is being sent, or retried); `scheduled`: waiting for its next poll; `polling`: a poll is in flight',
  }),
  polls: z.int().nonnegative(),
  lastStatus: z.string().nullable(),
  lastError: z.string().nullable(),
  nextPollAt: isoTime,
  startedAt: isoTime,
  expireAt: isoTime,
  intervalMs: z.int().positive(),
  statusSource: z.string().meta({ description: 'Where the status is read: the URL a poll fetches (job id filled in, percent-encoding as sent) without credentials or query, `batch` and the batch URL so described, `source` and its name, or `hook`' }),
  statusField: z.string(),
  history: z.enum(HISTORY_MODES).optional().meta({ description: "The monitor's own history setting; absent: the deployment's JOBWATCH_HISTORY" }),
  metadata,
  operation,
  callbackUrl,
  rateKey: z.string().optional().meta({ description: "The rate key the monitor named (absent: its status URL's host[:port], or the hook's key)" }),
  held: z.string().optional().meta({
    description: 'Why its last poll sent no request, until when: e.g. `api.vendor.com circuit open until 2026-11-30T12:00:00.000Z` (absent once a check was made)',
  }),
  hold: z.object({
    key: z.string().meta({ description: "The rate key: the status URL's host[:port], or the monitor's rateKey" }),
    reason: z.enum(['rate-limit', 'retry-after', 'circuit-open']).meta({
      description: '`rate-limit`: the key\'s JOBWATCH_RATE_LIMITS share is used up until its next slot; `retry-after`: the host answered 429 or 503 with Retry-After; `circuit-open`: the host failed JOBWATCH_HOST_FAILURES requests in a row',
    }),
    until: isoTime,
  }).optional().meta({ description: 'The hold its last poll waited under, as `held` says it; no check, no failure, no error budget spent' }),
});

/** An ended monitor: its final record, in Postgres or still in the completion queue. */
export const endedMonitorStateSchema = z.object({
  namespace: z.string().meta({ description: 'The namespace the monitor belongs to; its id is unique within it' }),
  monitorId: z.string(),
  jobId: z.string().nullable().meta({ description: "The job's id at its service; null for an operation that has none (yet, or for good: one that watches a URL its start answered, or whose start failed)" }),
  state: z.literal('ended'),
  outcome: z.enum(OUTCOMES),
  jobStatus: z.string().nullable().meta({ description: "The raw status the job's service reported last" }),
  polls: z.int().nonnegative(),
  startedAt: isoTime,
  finishedAt: isoTime,
  detail: z.unknown().meta({ description: 'The last status body, or the error or expiry that ended the monitor' }),
  metadata,
  operation,
  source: z.string().optional().meta({ description: 'The configured status source the monitor read through (absent for a status URL, batch status URL or hook monitor)' }),
  persisted: z.boolean().meta({ description: 'False while the record waits in Redis for Postgres' }),
  callbackUrl,
  notifications: z.array(z.object({
    channel: z.enum(['webhook', 'queue']),
    target: z.string().meta({ description: 'The URL without credentials or query, or the queue name' }),
    attempts: z.int().nonnegative(),
    deliveredAt: isoTime.nullable(),
    gaveUpAt: isoTime.nullable().meta({ description: 'Set when JOBWATCH_NOTIFY_FOR passed without an accepted attempt' }),
    lastError: z.string().nullable(),
  })).optional().meta({ description: "The end's notifications and their delivery (`jobwatch status` and GET /api/monitors/{id} only; absent when none is owed)" }),
});

/**
 * What `getMonitor` and `jobwatch status` report. A running monitor is read from its poll job in
 * Redis; an ended one from its record (in Postgres, or in the completion queue while it waits to
 * be written).
 */
export const monitorStateSchema = z.discriminatedUnion('state', [runningMonitorStateSchema, endedMonitorStateSchema]);

export type RunningMonitorState = z.infer<typeof runningMonitorStateSchema>;
export type EndedMonitorState = z.infer<typeof endedMonitorStateSchema>;
export type MonitorState = z.infer<typeof monitorStateSchema>;

/** @internal */
export function runningState(job: Job<MonitorContext>, bullState: string): RunningMonitorState {
  const c = job.data;
  return {
    namespace: namespaceOf(c),
    monitorId: c.monitorId,
    jobId: c.jobId,
    state: c.operation?.phase === 'starting' ? 'starting' : bullState === 'active' ? 'polling' : 'scheduled',
    polls: c.polls,
    lastStatus: c.lastStatus,
    lastError: c.lastError,
    nextPollAt: new Date(c.nextCheckAt).toISOString(),
    startedAt: new Date(c.startedAt).toISOString(),
    expireAt: new Date(c.expireAt).toISOString(),
    intervalMs: c.intervalMs,
    statusSource: describeStatusSource(c),
    statusField: c.statusField,
    ...(c.history ? { history: c.history } : {}),
    metadata: c.metadata,
    ...(c.operation ? { operation: { fingerprint: c.operation.fingerprint, ...(c.operation.answer ? { answer: c.operation.answer } : {}) } } : {}),
    ...(c.rateKey ? { rateKey: c.rateKey } : {}),
    ...(c.hold ? { held: describeHold(c.hold), hold: { key: c.hold.key, reason: c.hold.reason, until: new Date(c.hold.until).toISOString() } } : {}),
  };
}

/** @internal */
export function pendingResultState(result: MonitorResult): EndedMonitorState {
  return {
    namespace: namespaceOf(result),
    monitorId: result.monitorId,
    jobId: result.jobId,
    state: 'ended',
    outcome: result.outcome,
    jobStatus: result.jobStatus,
    polls: result.polls,
    startedAt: new Date(result.startedAt).toISOString(),
    finishedAt: new Date(result.finishedAt).toISOString(),
    detail: result.detail,
    metadata: result.metadata,
    ...(result.operation ? { operation: result.operation } : {}),
    ...(result.source ? { source: result.source } : {}),
    persisted: false,
  };
}

/** @internal */
export function persistedResultState(row: MonitorResultRow): EndedMonitorState {
  return {
    namespace: row.namespace,
    monitorId: row.monitorId,
    jobId: row.jobId,
    state: 'ended',
    outcome: row.outcome as Outcome,
    jobStatus: row.jobStatus,
    polls: row.polls,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt.toISOString(),
    detail: row.detail,
    metadata: (row.metadata as Record<string, unknown> | null) ?? null,
    ...(row.operation ? { operation: row.operation as NonNullable<MonitorResult['operation']> } : {}),
    ...(row.source ? { source: row.source } : {}),
    persisted: true,
  };
}

/** @internal A notification's delivery, as the ended state shows it. */
export function notificationState(row: MonitorNotificationRow): NonNullable<EndedMonitorState['notifications']>[number] {
  return {
    channel: row.channel as 'webhook' | 'queue',
    target: row.channel === 'webhook' ? describeUrl(row.target) : row.target,
    attempts: row.attempts,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    gaveUpAt: row.gaveUpAt?.toISOString() ?? null,
    lastError: row.lastError,
  };
}
