import { and, eq, sql } from 'drizzle-orm';
import type { MonitorResult } from '../monitor/context.ts';
import { namespaceOf, refOf, type MonitorName } from '../monitor/namespace.ts';
import { notificationBody, type ClaimedNotification, type NotifyChannel } from '../monitor/notification.ts';
import type { ResultStore } from '../monitor/result-store.ts';
import type { Database } from './drizzle-database.ts';
import { rowsOf } from './rows.ts';
import { monitorNotifications, type MonitorNotificationRow } from './schema.ts';

export interface OutboxOptions {
  /** The deployment's JOBWATCH_NOTIFY_URL, for monitors that name no `notifyUrl`. */
  defaultUrl: string | undefined;
  /** JOBWATCH_NOTIFY_FOR: how long a notification is tried. */
  notifyForMs: number;
}

/** The notifications a monitor's end owes: a webhook (its own URL, or the deployment's) and a queue job. */
export function notificationsOf(result: MonitorResult, options: OutboxOptions): { channel: NotifyChannel; target: string }[] {
  const url = result.notify?.url ?? options.defaultUrl;
  return [
    ...(url ? [{ channel: 'webhook' as const, target: url }] : []),
    ...(result.notify?.queue ? [{ channel: 'queue' as const, target: result.notify.queue }] : []),
  ];
}

/**
 * A ResultStore that, after the final record, writes the notifications it owes into the outbox.
 * Both writes happen before the completion job completes; a crash between them retries the job,
 * which finds the record written and writes the outbox rows then (ON CONFLICT DO NOTHING). So an
 * end is never without its notifications; at worst one is written twice and dropped as a repeat.
 */
export function withNotificationOutbox(results: ResultStore, db: Database, options: OutboxOptions): ResultStore {
  return {
    async persist(result) {
      const inserted = await results.persist(result);
      const owed = notificationsOf(result, options);
      if (owed.length > 0) await insertNotifications(db, result, owed, options.notifyForMs);
      return inserted;
    },
  };
}

async function insertNotifications(db: Database, result: MonitorResult, owed: readonly { channel: NotifyChannel; target: string }[], notifyForMs: number): Promise<void> {
  const body = notificationBody(result);
  await db.insert(monitorNotifications)
    .values(owed.map(({ channel, target }) => ({
      namespace: namespaceOf(result), monitorId: result.monitorId, channel, target, body, giveUpAt: sql`now() + ${`${notifyForMs} milliseconds`}::interval`,
      traceparent: result.trace?.traceparent ?? null, tracestate: result.trace?.tracestate ?? null,
    })))
    .onConflictDoNothing();
}

/**
 * Takes up to `limit` due notifications for this worker: each is leased for `leaseMs` (its next
 * attempt moved to then) and its attempt counted, in one statement. SKIP LOCKED lets workers claim
 * side by side; a worker that dies mid-attempt leaves the row to be claimed again when the lease
 * ends, and the receiver sees the same webhook-id again.
 */
interface ClaimedRow {
  namespace: string; monitor_id: string; channel: NotifyChannel; target: string; body: string; attempts: number; give_up_at: Date | string;
  traceparent: string | null; tracestate: string | null;
}

export async function claimDueNotifications(db: Database, limit: number, leaseMs: number): Promise<ClaimedNotification[]> {
  const answer = await db.execute(sql`
    update monitor_notifications n
    set attempts = n.attempts + 1, next_attempt_at = now() + ${`${leaseMs} milliseconds`}::interval
    from (
      select namespace, monitor_id, channel from monitor_notifications
      where delivered_at is null and gave_up_at is null and next_attempt_at <= now()
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    ) due
    where n.namespace = due.namespace and n.monitor_id = due.monitor_id and n.channel = due.channel
    returning n.namespace, n.monitor_id, n.channel, n.target, n.body, n.attempts, n.give_up_at, n.traceparent, n.tracestate`);
  return rowsOf<ClaimedRow>(answer).map((row) => ({
    namespace: row.namespace, monitorId: row.monitor_id, channel: row.channel, target: row.target, body: row.body, attempts: row.attempts, giveUpAt: new Date(row.give_up_at),
    ...(row.traceparent ? { trace: { traceparent: row.traceparent, ...(row.tracestate ? { tracestate: row.tracestate } : {}) } } : {}),
  }));
}

export async function recordDelivered(db: Database, name: MonitorName, channel: NotifyChannel): Promise<void> {
  await db.update(monitorNotifications)
    .set({ deliveredAt: sql`now()`, lastError: null })
    .where(and(sameMonitor(name), eq(monitorNotifications.channel, channel)));
}

/** A failed attempt: tried again at `retryAt`, or given up when that is past its time. */
export async function recordFailed(db: Database, name: MonitorName, channel: NotifyChannel, error: string, retryAt: Date | null): Promise<void> {
  await db.update(monitorNotifications)
    .set(retryAt ? { lastError: error, nextAttemptAt: retryAt } : { lastError: error, gaveUpAt: sql`now()` })
    .where(and(sameMonitor(name), eq(monitorNotifications.channel, channel)));
}

export async function findNotifications(db: Database, name: MonitorName): Promise<MonitorNotificationRow[]> {
  return db.select().from(monitorNotifications).where(sameMonitor(name));
}

function sameMonitor(name: MonitorName) {
  const monitor = refOf(name);
  return and(eq(monitorNotifications.namespace, namespaceOf(monitor)), eq(monitorNotifications.monitorId, monitor.monitorId));
}

/** What the notification backlog gauges report: see readNotificationBacklog. */
export interface NotificationBacklog {
  /** Notifications neither delivered nor given up, counted up to the cap (the cap reads "at least"). */
  pending: number;
  /** How long ago the most overdue of them was due for its next attempt, in seconds; 0 when none is due. */
  oldestDueSeconds: number;
}

/**
 * The outbox rows still owed, for /metrics: one statement over the partial index of undelivered
 * rows (monitor_notifications_due_idx), whose count stops at `cap` so that a scrape costs the same
 * however large the backlog grows.
 */
export async function readNotificationBacklog(db: Database, cap: number): Promise<NotificationBacklog> {
  const answer = await db.execute(sql`
    select
      (select count(*) from (
        select 1 from monitor_notifications where delivered_at is null and gave_up_at is null limit ${cap}
      ) owed)::int as pending,
      coalesce(extract(epoch from now() - (
        select min(next_attempt_at) from monitor_notifications where delivered_at is null and gave_up_at is null
      )), 0)::float8 as oldest`);
  const row = rowsOf<{ pending: number | string; oldest: number | string }>(answer)[0];
  return { pending: Number(row?.pending ?? 0), oldestDueSeconds: Math.max(0, Number(row?.oldest ?? 0)) };
}
