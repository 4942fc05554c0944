import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { OUTCOMES } from '../monitor/statuses.ts';

/**
 * One row per monitor, written once when it ends. The primary key (namespace, monitor_id) is what
 * makes the completion idempotent: a second write of the same monitor is a no-op.
 */
export const monitorResults = pgTable(
  'monitor_results',
  {
    /** The monitor's namespace: its id is unique within it (migration 0006 put every earlier row in `default`). */
    namespace: text('namespace').notNull().default('default'),
    monitorId: text('monitor_id').notNull(),
    /** Null for an operation with no job id: its start failed, or it watched the URL its start answered (migration 0007). */
    jobId: text('job_id'),
    /** One of OUTCOMES: the check below is built from that list, so a new outcome needs `npm run db:generate`. */
    outcome: text('outcome').notNull(),
    /** The raw status string the job's service reported last. */
    jobStatus: text('job_status'),
    /** Status checks made. */
    polls: integer('polls').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** The last status body, or the error that ended the monitor. */
    detail: jsonb('detail'),
    metadata: jsonb('metadata'),
    /** The configured status source the monitor read through (src/sources/); null for other monitors and rows before migration 0005. */
    source: text('source'),
    /** For an operation: its request's fingerprint and what its start request answered (status, URL watched, job id read); null otherwise. */
    operation: jsonb('operation'),
    /** When the row was written, which may be later than finished_at if Postgres was down. */
    recordedAt: timestamp('recorded_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.namespace, table.monitorId] }),
    index('monitor_results_job_id_idx').on(table.jobId),
    // (finished_at, outcome): the list's order, and the overview's counts by outcome over a time
    // range read from the index alone.
    index('monitor_results_finished_at_outcome_idx').on(table.finishedAt, table.outcome),
    check('monitor_results_outcome_check', sql`${table.outcome} in (${sql.raw(OUTCOMES.map((outcome) => `'${outcome}'`).join(', '))})`),
  ],
);

export type MonitorResultRow = typeof monitorResults.$inferSelect;

/**
 * A monitor's status checks, as JOBWATCH_HISTORY keeps them: written in batches off the poll's
 * path. The primary key (namespace, monitor_id, seq) makes a check written twice (a poll re-run after a
 * crash, a batch retried) one row, and pages a monitor's history in order.
 */
export const monitorChecks = pgTable(
  'monitor_checks',
  {
    /** The monitor's namespace: its id is unique within it (migration 0006 put every earlier row in `default`). */
    namespace: text('namespace').notNull().default('default'),
    monitorId: text('monitor_id').notNull(),
    /** The check's number in its monitor, from 1. */
    seq: integer('seq').notNull(),
    checkedAt: timestamp('checked_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** The raw status read; null for a failed check. */
    status: text('status'),
    /** running, terminal or failed. */
    result: text('result').notNull(),
    /** A failed check's reason (connection, timeout, http-status, ...) and message. */
    reason: text('reason'),
    error: text('error'),
    httpStatus: integer('http_status'),
    latencyMs: integer('latency_ms').notNull(),
    lateMs: integer('late_ms').notNull(),
    /**
     * How the status was learned: `poll` (a status call) or `push` (the job service pushed it).
     * Named `source` before migration 0004, when that word was taken for a configured status
     * source (the `source` column below, since 0005).
     */
    via: text('via').notNull().default('poll'),
    /**
     * The status host the poll called (the monitor's rateKey, else the URL's host[:port], else
     * `hook`); null for a push and for rows written before migration 0003. The overview's host table
     * groups by it.
     */
    statusHost: text('status_host'),
    /**
     * The configured status source (src/sources/) a poll read through; null for a push, for a
     * monitor of a status URL, a batch status URL or the status hook, and for rows written before
     * migration 0005. The overview's host table names a source's rows by it.
     */
    source: text('source'),
  },
  (table) => [
    primaryKey({ columns: [table.namespace, table.monitorId, table.seq] }),
    index('monitor_checks_checked_at_idx').on(table.checkedAt),
    check('monitor_checks_result_check', sql`${table.result} in ('running', 'terminal', 'failed')`),
  ],
);

export type MonitorCheckRow = typeof monitorChecks.$inferSelect;

/**
 * The notification outbox: one row per monitor and channel, written after its final record and
 * before its completion job completes, so that no crash loses one. Workers claim due rows (FOR
 * UPDATE SKIP LOCKED, with a lease), deliver them, and record the attempt here.
 */
export const monitorNotifications = pgTable(
  'monitor_notifications',
  {
    /** The monitor's namespace: its id is unique within it (migration 0006 put every earlier row in `default`). */
    namespace: text('namespace').notNull().default('default'),
    monitorId: text('monitor_id').notNull(),
    /** webhook or queue. */
    channel: text('channel').notNull(),
    /** The URL, or the BullMQ queue name. */
    target: text('target').notNull(),
    /** The exact bytes sent at every attempt (the final record as JSON), so every signature covers the same body. */
    body: text('body').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** When the next attempt is due; while one is under way, when its lease ends. */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Past this, a notification not accepted is given up (JOBWATCH_NOTIFY_FOR after it was written). */
    giveUpAt: timestamp('give_up_at', { withTimezone: true, mode: 'date' }).notNull(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
    gaveUpAt: timestamp('gave_up_at', { withTimezone: true, mode: 'date' }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** The monitor's W3C trace context (docs/tracing.md): each delivery is a span of its trace, and sends it on. Null: no trace. */
    traceparent: text('traceparent'),
    tracestate: text('tracestate'),
  },
  (table) => [
    primaryKey({ columns: [table.namespace, table.monitorId, table.channel] }),
    // Only undelivered rows are looked for by the dispatcher: the index stays the size of the backlog.
    index('monitor_notifications_due_idx').on(table.nextAttemptAt).where(sql`${table.deliveredAt} is null and ${table.gaveUpAt} is null`),
    check('monitor_notifications_channel_check', sql`${table.channel} in ('webhook', 'queue')`),
  ],
);

export type MonitorNotificationRow = typeof monitorNotifications.$inferSelect;
