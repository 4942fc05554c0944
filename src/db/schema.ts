import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { OUTCOMES } from '../monitor/statuses.ts';

/**
 * One row per monitor, written once when it ends. The primary key on monitor_id is what makes the
 * completion idempotent: a second write of the same monitor is a no-op.
 */
export const monitorResults = pgTable(
  'monitor_results',
  {
    monitorId: text('monitor_id').primaryKey(),
    jobId: text('job_id').notNull(),
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
    /** When the row was written, which may be later than finished_at if Postgres was down. */
    recordedAt: timestamp('recorded_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    index('monitor_results_job_id_idx').on(table.jobId),
    index('monitor_results_finished_at_idx').on(table.finishedAt),
    check('monitor_results_outcome_check', sql`${table.outcome} in (${sql.raw(OUTCOMES.map((outcome) => `'${outcome}'`).join(', '))})`),
  ],
);

export type MonitorResultRow = typeof monitorResults.$inferSelect;

/**
 * A monitor's status checks, as JOBWATCH_HISTORY keeps them: written in batches off the poll's
 * path. The primary key (monitor_id, seq) makes a check written twice (a poll re-run after a
 * crash, a batch retried) one row, and pages a monitor's history in order.
 */
export const monitorChecks = pgTable(
  'monitor_checks',
  {
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
    /** Where the status came from: poll (push adds push). */
    source: text('source').notNull().default('poll'),
  },
  (table) => [
    primaryKey({ columns: [table.monitorId, table.seq] }),
    index('monitor_checks_checked_at_idx').on(table.checkedAt),
    check('monitor_checks_result_check', sql`${table.result} in ('running', 'terminal', 'failed')`),
  ],
);

export type MonitorCheckRow = typeof monitorChecks.$inferSelect;
