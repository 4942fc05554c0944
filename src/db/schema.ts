import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
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
