import { Counter, Histogram, type Registry } from 'prom-client';
import type { NotificationObserver } from '../monitor/notification.ts';

/** Attempts a notification took until it was accepted. */
const ATTEMPT_BUCKETS = [1, 2, 3, 5, 8, 13, 21, 34];

/** Counters of what the notification dispatcher does, per worker process. */
export function createNotificationMetrics(registry: Registry): NotificationObserver {
  const attempts = new Counter({
    name: 'jobwatch_notification_attempts_total',
    help: 'Notification attempts, by channel (webhook, queue) and result (delivered, retry, gave-up)',
    labelNames: ['channel', 'result'], registers: [registry],
  });
  const attemptsToDeliver = new Histogram({
    name: 'jobwatch_notification_attempts_to_deliver', help: 'Attempts a delivered notification took, by channel',
    buckets: ATTEMPT_BUCKETS, labelNames: ['channel'], registers: [registry],
  });
  return {
    attempted({ channel, result, attempts: made }) {
      attempts.inc({ channel, result });
      if (result === 'delivered') attemptsToDeliver.observe({ channel }, made);
    },
  };
}
