import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { PollObserver } from '../monitor/poll-observer.ts';
import type { NotificationObserver } from '../monitor/notification.ts';
import { createNotificationMetrics } from './notification-metrics.ts';
import { createPollMetrics } from './poll-metrics.ts';
import { registerQueueMetrics, type CountedQueues } from './queue-metrics.ts';
import { registerScrapeGauges, type ScrapeReaders } from './scrape-gauges.ts';

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
  /** Report what these read at each scrape: overdue polls, the notification backlog, Redis's eviction policy, circuits. */
  readers?: ScrapeReaders;
  logger: Logger;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  // Process metrics (CPU, memory, event loop lag) tell a slow worker from a slow status service.
  collectDefaultMetrics({ register: registry, prefix: 'jobwatch_' });
  const observer = createPollMetrics(registry);
  if (options.queues) registerQueueMetrics(registry, options.queues, options.logger);
  if (options.readers) registerScrapeGauges(registry, options.readers, observer.rateKeys, options.logger);
  return {
    registry,
    observer,
    notifications: createNotificationMetrics(registry),
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
