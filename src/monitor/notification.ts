import type { TraceParent } from './context.ts';
import { createHmac } from 'node:crypto';
import { backoffDelay, type BackoffPolicy } from '../time/backoff.ts';
import type { MonitorResult } from './context.ts';
import { DEFAULT_NAMESPACE } from './namespace.ts';

/** Where a monitor's end is announced, as the producer asked (the deployment's JOBWATCH_NOTIFY_URL applies when no URL is named). */
export interface NotifyTargets {
  /** POST the final record here, signed (Standard Webhooks). */
  url?: string;
  /** Add a job to this BullMQ queue (same Redis), job id = the monitor's key (its id in the default namespace). */
  queue?: string;
}

/** A due notification from the outbox, claimed by one worker until its lease ends. */
export interface ClaimedNotification {
  namespace: string;
  monitorId: string;
  channel: NotifyChannel;
  target: string;
  body: string;
  /** Attempts so far, this one included. */
  attempts: number;
  giveUpAt: Date;
  /** The monitor's trace: the delivery is a span of it. */
  trace?: TraceParent;
}

/** How a notification travels: a signed POST, or a job in the user's BullMQ queue. */
export type NotifyChannel = 'webhook' | 'queue';

/**
 * The `webhook-id` of a monitor's notification: the same for every attempt and every repeat, so a
 * receiver can drop repeats by it. A default-namespace monitor's is `jobwatch:<id>`, as before
 * namespaces; another namespace's is `jobwatch@<namespace>:<id, URL-encoded>`, which no id of the
 * default namespace can give, so no namespace can make a receiver drop another's notification.
 */
export function webhookId(monitor: { namespace?: string | undefined; monitorId: string }): string {
  const namespace = monitor.namespace ?? DEFAULT_NAMESPACE;
  return namespace === DEFAULT_NAMESPACE ? `jobwatch:${monitor.monitorId}` : `jobwatch@${namespace}:${encodeURIComponent(monitor.monitorId)}`;
}

/** The body of a notification: the final record, times in ISO 8601, as `jobwatch status` prints it. */
export function notificationBody(result: MonitorResult): string {
  return JSON.stringify({
    type: 'monitor.ended',
    namespace: result.namespace ?? DEFAULT_NAMESPACE,
    monitorId: result.monitorId,
    jobId: result.jobId,
    outcome: result.outcome,
    jobStatus: result.jobStatus,
    polls: result.polls,
    startedAt: new Date(result.startedAt).toISOString(),
    finishedAt: new Date(result.finishedAt).toISOString(),
    detail: result.detail ?? null,
    metadata: result.metadata,
  });
}

/**
 * The key a secret stands for. Standard Webhooks secrets are `whsec_` and base64; any other text is
 * taken as it is, byte for byte.
 */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, as the Standard Webhooks spec says. */
export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', signingKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three Standard Webhooks headers of one attempt; the timestamp is the attempt's, in seconds. */
export function webhookHeaders(secret: string, id: string, now: number, body: string): Record<string, string> {
  const timestamp = Math.floor(now / 1_000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': webhookSignature(secret, id, timestamp, body) };
}

/** The first and the longest retry delay of a notification. */
export type NotifyRetryPolicy = BackoffPolicy;

/** The wait before attempt `attempts + 1`: exponential with equal jitter (`jitter` in [0, 1)), as status retries. */
export function notifyRetryDelay(attempts: number, policy: NotifyRetryPolicy, jitter: number): number {
  return backoffDelay(attempts, policy, jitter);
}

/** What the notification dispatcher reports, for metrics. Must not throw or block. */
export interface NotificationObserver {
  /** One attempt finished: accepted, failed and to be retried, or failed for good (given up). */
  attempted?(event: { channel: NotifyChannel; result: 'delivered' | 'retry' | 'gave-up'; attempts: number }): void;
}
