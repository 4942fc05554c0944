import { randomBytes } from 'node:crypto';
import { defaultTextMapGetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, spawnServing, type ServingProcess } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { countRows } from '../helpers/results.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { exited, spawnWorker } from '../helpers/workers.ts';

/**
 * Spans are handed on by argument, not through an active context (docs/tracing.md): a poll's span
 * to its status request and its log lines, the write's to its log lines. At a ratio sampler, a
 * caller's sampled trace is recorded in full, and an unsampled one is recorded nowhere but still
 * reaches the status service, the webhook receiver and the notify queue's consumer, and names the
 * log lines of its monitor.
 */
const NOTIFY_SECRET = 'a-test-secret-of-enough-length';
const NOTIFY_QUEUE = 'traced-next-step';

let iso: Isolated;
let server: StatusServer;
let otlp: OtlpReceiver;
let receiver: WebhookReceiver;
let api: ServingProcess;
let worker: ReturnType<typeof spawnWorker>;

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
  otlp = await startOtlpReceiver();
  receiver = await startWebhookReceiver(() => 200);
  const env = iso.env({
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '20',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1', JOBWATCH_NOTIFY_SECRET: NOTIFY_SECRET, LOG_LEVEL: 'info',
    JOBWATCH_NOTIFY_QUEUE_PREFIX: userPrefix(),
  });
  api = await spawnServing(['server', '--port', '0'], env, 'server listening');
  worker = spawnWorker(env);
});

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  if (worker) await exited(worker);
  await api?.stop();
  await receiver?.close();
  await otlp?.close();
  await server?.close();
  await iso?.cleanup();
});

/** The BullMQ prefix of the notify queue, under the isolation's prefix so that its cleanup takes the queue's keys too. */
function userPrefix(): string {
  return `${iso.prefix}-user`;
}

/**
 * A monitor started through the API by a caller whose own span is `00-{trace}-{span}-{flags}`; it
 * ends at its second poll, and notifies the webhook receiver unless `notify` names another target.
 */
async function startAsCaller(jobId: string, flags: '00' | '01', notify: Record<string, string> = { notifyUrl: receiver.url }): Promise<{ traceId: string; spanId: string }> {
  const caller = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
  server.script(jobId, [{ status: 'Processing' }, { status: 'Completed' }]);
  const created = await request(`${api.url}/api/monitors`, {
    method: 'POST', body: { jobId, statusUrl: server.template, interval: '100ms', ...notify },
    headers: { traceparent: `00-${caller.traceId}-${caller.spanId}-${flags}` },
  });
  expect(created.status).toBe(201);
  return caller;
}

/** The worker's JSON log lines with this message, for this monitor. */
function workerLines(message: string, monitorId: string): Record<string, unknown>[] {
  return worker.stdoutText().split('\n').filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === message && line.monitorId === monitorId);
}

describe('tracing at parentbased_traceidratio 0.1', () => {
  it("a sampled caller's monitor is recorded in full, and its log lines name the spans they were written in", async () => {
    const caller = await startAsCaller('sampled', '01');
    await waitFor(() => otlp.spans.some((span) => span.traceId === caller.traceId && span.name === 'notify webhook'), { timeoutMs: 30_000, what: 'the notification span' });
    const trace = otlp.spans.filter((span) => span.traceId === caller.traceId);
    const start = trace.find((span) => span.name === 'start monitor')!;
    expect(start).toMatchObject({ service: 'jobwatch-server', parentSpanId: caller.spanId });
    const polls = trace.filter((span) => span.name.startsWith('poll '));
    expect(polls.map((poll) => poll.attributes['jobwatch.poll.number']).sort()).toEqual([1, 2]);
    // The first poll re-scheduled the monitor (its processor's rejection, to BullMQ): that is no error.
    for (const poll of polls) expect(poll.statusCode).not.toBe(2);
    // Each status request is a client span of its poll, handed the poll's span by argument.
    const requests = trace.filter((span) => span.name === 'GET');
    expect(requests).toHaveLength(2);
    for (const call of requests) expect(polls.map((poll) => poll.spanId)).toContain(call.parentSpanId);
    expect([...server.traceparents('sampled')].sort()).toEqual(requests.map((call) => `00-${caller.traceId}-${call.spanId}-01`).sort());

    const lastPoll = polls.find((poll) => poll.attributes['jobwatch.poll.number'] === 2)!;
    const write = trace.find((span) => span.name === 'write final record')!;
    await waitFor(() => workerLines('result persisted', 'sampled').length === 1, { timeoutMs: 10_000, what: "the write's log line" });
    expect(workerLines('monitor ended', 'sampled')).toEqual([expect.objectContaining({ trace_id: caller.traceId, span_id: lastPoll.spanId })]);
    expect(workerLines('result persisted', 'sampled')).toEqual([expect.objectContaining({ trace_id: caller.traceId, span_id: write.spanId })]);
    const notify = trace.find((span) => span.name === 'notify webhook')!;
    expect(receiver.deliveries.find((delivery) => delivery.monitorId === 'sampled')?.headers.traceparent).toBe(`00-${caller.traceId}-${notify.spanId}-01`);
  }, 60_000);

  it("an unsampled caller's monitor records no span, yet its trace reaches the status service and the webhook, and names its log lines", async () => {
    const caller = await startAsCaller('unsampled', '00');
    await waitFor(() => receiver.deliveries.some((delivery) => delivery.monitorId === 'unsampled'), { timeoutMs: 30_000, what: 'the notification' });
    await waitFor(async () => (await countRows(iso)) === 2, { timeoutMs: 10_000, what: 'both final records' });
    await waitFor(() => workerLines('result persisted', 'unsampled').length === 1, { timeoutMs: 10_000, what: "the write's log line" });

    // The trace goes on, unsampled, from a span of each hop's own (not the caller's, and not one shared).
    const unsampled = new RegExp(`^00-${caller.traceId}-([0-9a-f]{16})-00$`);
    const sent = [...server.traceparents('unsampled'), receiver.deliveries.find((delivery) => delivery.monitorId === 'unsampled')!.headers.traceparent];
    expect(sent).toHaveLength(3);
    for (const header of sent) expect(header).toMatch(unsampled);
    const spanIds = sent.map((header) => unsampled.exec(String(header))![1]);
    expect(new Set([...spanIds, caller.spanId]).size).toBe(4);
    for (const line of [...workerLines('monitor ended', 'unsampled'), ...workerLines('result persisted', 'unsampled')]) {
      expect(line).toMatchObject({ trace_id: caller.traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    }

    // Spans leave each process in the order they end: once a later sampled monitor's spans are in,
    // any span of the unsampled one would be too.
    const later = await startAsCaller('sampled-later', '01');
    await waitFor(() => otlp.spans.some((span) => span.traceId === later.traceId && span.name === 'notify webhook'), { timeoutMs: 30_000, what: "the later monitor's spans" });
    expect(otlp.spans.filter((span) => span.traceId === caller.traceId)).toEqual([]);
    expect(otlp.spans.filter((span) => span.attributes['jobwatch.monitor.id'] === 'unsampled')).toEqual([]);
  }, 60_000);

  it("a notifyQueue job carries its delivery span's traceparent where BullMQ keeps a job's trace context, sampled or not", async () => {
    const sampled = await startAsCaller('queued', '01', { notifyQueue: NOTIFY_QUEUE });
    const unsampled = await startAsCaller('queued-unsampled', '00', { notifyQueue: NOTIFY_QUEUE });
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(NOTIFY_QUEUE, { connection, prefix: userPrefix() });
    try {
      // Read back through BullMQ, as its Worker reads it before it hands it to the consumer's `telemetry`.
      const metadataOf = async (jobId: string) => (await queue.getJob(jobId))?.opts.telemetry?.metadata;
      await waitFor(async () => ((await queue.getJob('queued')) && (await queue.getJob('queued-unsampled')) ? true : undefined), { timeoutMs: 30_000, what: 'both jobs in the notify queue' });
      await waitFor(() => otlp.spans.some((span) => span.traceId === sampled.traceId && span.name === 'notify queue'), { timeoutMs: 30_000, what: 'the delivery span' });
      const delivery = otlp.spans.find((span) => span.traceId === sampled.traceId && span.name === 'notify queue')!;
      expect(delivery.attributes).toMatchObject({ 'messaging.system': 'bullmq', 'messaging.destination.name': NOTIFY_QUEUE });

      const metadata = await metadataOf('queued');
      expect(metadata).toEqual(expect.any(String));
      expect(JSON.parse(metadata!)).toEqual({ traceparent: `00-${sampled.traceId}-${delivery.spanId}-01` });
      // As BullMQ's OpenTelemetry integration (bullmq-otel) reads it: JSON, then the W3C propagator.
      const extracted = trace.getSpanContext(new W3CTraceContextPropagator().extract(ROOT_CONTEXT, JSON.parse(metadata!), defaultTextMapGetter));
      expect(extracted).toMatchObject({ traceId: sampled.traceId, spanId: delivery.spanId, traceFlags: 1, isRemote: true });
      expect(JSON.parse((await metadataOf('queued-unsampled')) ?? '{}')).toEqual({ traceparent: expect.stringMatching(new RegExp(`^00-${unsampled.traceId}-[0-9a-f]{16}-00$`)) });
      // The job's data is the final record, as without tracing.
      expect((await queue.getJob('queued'))!.data).toMatchObject({ type: 'monitor.ended', monitorId: 'queued', outcome: 'completed' });
    } finally {
      await queue.close();
      await connection.quit();
    }
  }, 60_000);
});
