import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { PollObserver } from '../monitor/poll-observer.ts';
import type { NotificationObserver } from '../monitor/notification.ts';
import { createNotificationMetrics } from './notification-metrics.ts';
import { createPollMetrics } from './poll-metrics.ts';
import { registerQueueMetrics, type CountedQueues } from './queue-metrics.ts';

/** One process's metrics: what /metrics serves, and the observer its workers report to. */
export interface Metrics {
  readonly registry: Registry;
  /** Pass to startWorkers / startWorkerProcess as `observer`. */
  readonly observer: PollObserver;
  /** Pass to startWorkerProcess as `notificationObserver`. */
  readonly notifications: NotificationObserver;
  /** Prometheus text exposition of everything registered. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  /** Report these queues' job counts, read at each scrape. */
  queues?: CountedQueues;
  logger: Logger;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  // Process metrics (CPU, memory, event loop lag) tell a slow worker from a slow status service.
  collectDefaultMetrics({ register: registry, prefix: 'jobwatch_' });
  const observer = createPollMetrics(registry);
  if (options.queues) registerQueueMetrics(registry, options.queues, options.logger);
  return {
    registry,
    observer,
    notifications: createNotificationMetrics(registry),
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
