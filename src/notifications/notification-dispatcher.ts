import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/drizzle-database.ts';
import { claimDueNotifications, recordDelivered, recordFailed } from '../db/notification-outbox.ts';
import { coerceError } from '../errors/errors.ts';
import { notifyRetryDelay, webhookHeaders, webhookId, type ClaimedNotification, type NotificationObserver } from '../monitor/notification.ts';
import { NotifyQueues } from '../queue/notify-queue.ts';
import type { RedisConnection } from '../redis/connection.ts';
import type { PollObserver } from '../monitor/poll-observer.ts';
import { postWebhook } from '../webhook/webhook-sender.ts';
import { keyOf } from '../monitor/namespace.ts';
import { HTTP_REQUEST_METHOD, MESSAGING_DESTINATION, MESSAGING_OPERATION_TYPE, MESSAGING_SYSTEM, MONITOR_ID, NAMESPACE, SERVER_ADDRESS, URL_FULL } from '../tracing/attributes.ts';
import { tracing, type SpanHandle } from '../tracing/tracing.ts';

/** Notifications one worker claims at a time. */
const CLAIM_BATCH = 50;
/**
 * How often an idle dispatcher looks for due notifications: soon after it last found some, then
 * less and less often. Its own process's new rows and retries wake it sooner (see `nudge`); only
 * rows it cannot know of (a retry another process scheduled, a lease that ran out) wait longer.
 */
const IDLE_POLL_MS = 250;
const MAX_IDLE_POLL_MS = 5_000;
/** Longest wait between two attempts of one notification. */
const MAX_NOTIFY_RETRY_MS = 3_600_000;
/** A claim lasts an attempt's timeout plus this: time to record the attempt's outcome. */
const LEASE_MARGIN_MS = 2_000;

export interface DispatcherDeps {
  config: Config;
  db: Database;
  connection: RedisConnection;
  logger: Logger;
  observer?: NotificationObserver;
  /** Test-only: called just after a notification went out, before it is recorded as delivered. */
  afterSend?(notification: ClaimedNotification): void | Promise<void>;
}

export interface NotificationDispatcher {
  /** Give this to the completion worker of the same process: it wakes the dispatcher when a final record owes a notification. */
  observer: Pick<PollObserver, 'persisted'>;
  close(): Promise<void>;
}

/**
 * Delivers what the outbox holds (db/notification-outbox.ts), in every worker that runs the
 * completion worker: claims due rows, sends each (a signed POST, or a job in the user's queue),
 * and records the attempt. The outbox, not the completions queue, drives it: the delivery state
 * (attempts, delivered at, last error) is a row beside the final record, readable with one query
 * by `jobwatch status` and the API, retried for JOBWATCH_NOTIFY_FOR without holding a BullMQ job,
 * and written by the same completion that writes the record, so a crash cannot separate them.
 */
export function startNotificationDispatcher(deps: DispatcherDeps): NotificationDispatcher {
  const { config, db, logger } = deps;
  const queues = new NotifyQueues(deps.connection, config.notifyQueuePrefix, config.notifyForMs);
  const leaseMs = config.notifyTimeoutMs + LEASE_MARGIN_MS;
  let stopped = false;
  let wake: (() => void) | undefined;
  let idleMs = IDLE_POLL_MS;
  /** Set when woken while busy: the next round starts at once instead of sleeping. */
  let nudged = false;
  /** The soonest retry this process scheduled: the sleep never runs past it. */
  let nextRetryAt = Number.POSITIVE_INFINITY;
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  const nudge = () => {
    nudged = true;
    idleMs = IDLE_POLL_MS;
    wake?.();
  };

  /** One attempt; with tracing on, a span of the monitor's trace whose `traceparent` the webhook carries. */
  function send(notification: ClaimedNotification): Promise<string | undefined> {
    const traced = tracing();
    if (!traced) return sendOnce(notification, undefined);
    const { channel, target } = notification;
    const attributes = channel === 'webhook'
      ? { [HTTP_REQUEST_METHOD]: 'POST', [URL_FULL]: new URL(target).origin, [SERVER_ADDRESS]: new URL(target).hostname }
      : { [MESSAGING_SYSTEM]: 'bullmq', [MESSAGING_DESTINATION]: target, [MESSAGING_OPERATION_TYPE]: 'send' };
    return traced.inTrace(notification.trace, `notify ${channel}`, channel === 'webhook' ? 'client' : 'producer', {
      ...attributes, [MONITOR_ID]: notification.monitorId, [NAMESPACE]: notification.namespace, 'jobwatch.notification.attempt': notification.attempts,
    }, async (span) => {
      const error = await sendOnce(notification, span);
      if (error !== undefined) span.fail('notification-not-accepted', error);
      return error;
    });
  }

  async function sendOnce(notification: ClaimedNotification, span: SpanHandle | undefined): Promise<string | undefined> {
    if (notification.channel === 'queue') {
      await queues.addOnce(notification.target, keyOf(notification), notification.body, span?.headers());
      return undefined;
    }
    if (!config.notifySecret) return 'JOBWATCH_NOTIFY_SECRET is not set on this worker; notifications are not sent unsigned';
    const headers = { ...webhookHeaders(config.notifySecret, webhookId(notification), Date.now(), notification.body), ...span?.headers() };
    const attempt = await postWebhook(notification.target, notification.body, headers, config.notifyTimeoutMs);
    if (attempt.ok) span?.set({ 'http.response.status_code': attempt.httpStatus });
    return attempt.ok ? undefined : attempt.error;
  }

  async function deliver(notification: ClaimedNotification): Promise<void> {
    const { monitorId, channel, attempts } = notification;
    const error = await send(notification).catch((caught: unknown) => coerceError(caught).message);
    if (error === undefined) {
      if (deps.afterSend) await deps.afterSend(notification);
      await recordDelivered(db, notification, channel);
      deps.observer?.attempted?.({ channel, result: 'delivered', attempts });
      logger.info({ monitorId, channel, attempts }, 'notification delivered');
      return;
    }
    const retryAt = Date.now() + notifyRetryDelay(attempts, { baseMs: config.notifyRetryBaseMs, maxMs: MAX_NOTIFY_RETRY_MS }, Math.random());
    const givingUp = retryAt > notification.giveUpAt.getTime();
    await recordFailed(db, notification, channel, error, givingUp ? null : new Date(retryAt));
    if (!givingUp) nextRetryAt = Math.min(nextRetryAt, retryAt);
    deps.observer?.attempted?.({ channel, result: givingUp ? 'gave-up' : 'retry', attempts });
    if (givingUp) logger.error({ monitorId, channel, attempts, error }, 'notification given up after JOBWATCH_NOTIFY_FOR');
    else logger.warn({ monitorId, channel, attempts, error, retryAt: new Date(retryAt).toISOString() }, 'notification not accepted; will retry');
  }

  const loop = (async () => {
    while (!stopped) {
      let claimed: ClaimedNotification[] = [];
      nudged = false;
      if (Date.now() >= nextRetryAt) nextRetryAt = Number.POSITIVE_INFINITY;
      try {
        claimed = await claimDueNotifications(db, CLAIM_BATCH, leaseMs);
        // One failure (Postgres gone mid-record) must not stop the others; the lease brings it back.
        const outcomes = await Promise.allSettled(claimed.map(deliver));
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') logger.warn({ err: coerceError(outcome.reason) }, 'notification attempt not recorded; it will be tried again');
        }
      } catch (caught) {
        logger.warn({ err: coerceError(caught) }, 'notifications wait for Postgres; will retry');
      }
      if (claimed.length > 0) idleMs = IDLE_POLL_MS;
      if (!stopped && !nudged && claimed.length < CLAIM_BATCH) {
        await sleep(Math.max(0, Math.min(idleMs, nextRetryAt - Date.now())));
        idleMs = Math.min(idleMs * 2, MAX_IDLE_POLL_MS);
      }
    }
  })();

  return {
    observer: {
      // A repeat (inserted: false) may be the one that writes the outbox rows after a crash.
      persisted({ result }) {
        if (result.notify !== undefined || config.notifyUrl !== undefined) nudge();
      },
    },
    async close() {
      stopped = true;
      wake?.();
      await loop;
      await queues.close();
    },
  };
}
