import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/drizzle-database.ts';
import { claimDueNotifications, recordDelivered, recordFailed } from '../db/notification-outbox.ts';
import { coerceError } from '../errors/errors.ts';
import { notifyRetryDelay, webhookHeaders, webhookId, type ClaimedNotification, type NotificationObserver } from '../monitor/notification.ts';
import { NotifyQueues } from '../queue/notify-queue.ts';
import type { RedisConnection } from '../queue/redis.ts';
import { postWebhook } from '../webhook/webhook-sender.ts';

/** Notifications one worker claims at a time. */
const CLAIM_BATCH = 50;
/** How often an idle dispatcher looks for due notifications. */
const IDLE_POLL_MS = 250;
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
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });

  async function send(notification: ClaimedNotification): Promise<string | undefined> {
    if (notification.channel === 'queue') {
      await queues.addOnce(notification.target, notification.monitorId, notification.body);
      return undefined;
    }
    if (!config.notifySecret) return 'JOBWATCH_NOTIFY_SECRET is not set on this worker; notifications are not sent unsigned';
    const headers = webhookHeaders(config.notifySecret, webhookId(notification.monitorId), Date.now(), notification.body);
    const attempt = await postWebhook(notification.target, notification.body, headers, config.notifyTimeoutMs);
    return attempt.ok ? undefined : attempt.error;
  }

  async function deliver(notification: ClaimedNotification): Promise<void> {
    const { monitorId, channel, attempts } = notification;
    const error = await send(notification).catch((caught: unknown) => coerceError(caught).message);
    if (error === undefined) {
      if (deps.afterSend) await deps.afterSend(notification);
      await recordDelivered(db, monitorId, channel);
      deps.observer?.attempted?.({ channel, result: 'delivered', attempts });
      logger.info({ monitorId, channel, attempts }, 'notification delivered');
      return;
    }
    const retryAt = Date.now() + notifyRetryDelay(attempts, { baseMs: config.notifyRetryBaseMs, maxMs: MAX_NOTIFY_RETRY_MS }, Math.random());
    const givingUp = retryAt > notification.giveUpAt.getTime();
    await recordFailed(db, monitorId, channel, error, givingUp ? null : new Date(retryAt));
    deps.observer?.attempted?.({ channel, result: givingUp ? 'gave-up' : 'retry', attempts });
    if (givingUp) logger.error({ monitorId, channel, attempts, error }, 'notification given up after JOBWATCH_NOTIFY_FOR');
    else logger.warn({ monitorId, channel, attempts, error, retryAt: new Date(retryAt).toISOString() }, 'notification not accepted; will retry');
  }

  const loop = (async () => {
    while (!stopped) {
      let claimed: ClaimedNotification[] = [];
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
      if (!stopped && claimed.length < CLAIM_BATCH) await sleep(IDLE_POLL_MS);
    }
  })();

  return {
    async close() {
      stopped = true;
      wake?.();
      await loop;
      await queues.close();
    },
  };
}
