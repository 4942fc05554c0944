import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOtelTracing } from '../../src/tracing/otel-tracing.ts';
import type { Tracing } from '../../src/tracing/tracing.ts';

/**
 * What a span of a monitor's trace records of the work it wraps, through the SDK's in-memory
 * exporter: the provider is the host application's (as jobwatch used as a library finds one), so
 * that every span is kept whatever its stored trace's sampled flag.
 */
const exported = new InMemorySpanExporter();
const host = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: exported })] });
let tracing: Tracing;

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const stored = { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc' };

beforeAll(async () => {
  trace.setGlobalTracerProvider(host);
  tracing = await createOtelTracing({ protocol: 'http/protobuf', sampler: { name: 'parentbased_always_on', ratio: 1 }, serviceName: 'test', batchDelayMs: 5_000 });
});
afterAll(async () => {
  await tracing.shutdown();
  await host.shutdown();
});
beforeEach(() => exported.reset());

const onlySpan = () => {
  const spans = exported.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
};

describe('a span in a monitor stored trace (inTrace)', () => {
  it('is a child of the stored span, in its trace, with its trace state, and ends with the work', async () => {
    await expect(tracing.inTrace(stored, 'poll hook', 'internal', { 'jobwatch.monitor.id': 'm-1', 'jobwatch.namespace': undefined }, async (span) => {
      span.set({ 'jobwatch.outcome': 'completed', skipped: undefined });
      expect(exported.getFinishedSpans()).toHaveLength(0);
      return 'done';
    })).resolves.toBe('done');
    const span = onlySpan();
    expect(span.name).toBe('poll hook');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.spanContext().traceId).toBe(TRACE);
    expect(span.parentSpanContext).toMatchObject({ traceId: TRACE, spanId: PARENT, isRemote: true });
    expect(span.spanContext().traceState?.serialize()).toBe('vendor=abc');
    // Undefined attributes are left out.
    expect(span.attributes).toEqual({ 'jobwatch.monitor.id': 'm-1', 'jobwatch.outcome': 'completed' });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('is failed, with the exception, when the work rejects; the rejection goes on to the caller', async () => {
    const error = new Error('status service down');
    await expect(tracing.inTrace(stored, 'poll hook', 'internal', {}, () => Promise.reject(error))).rejects.toBe(error);
    const span = onlySpan();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'status service down' });
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('is no failure when the rejection is how the work ends as it should (a poll re-scheduled)', async () => {
    const rescheduled = new Error('delayed');
    await expect(tracing.inTrace(stored, 'poll hook', 'internal', {}, () => Promise.reject(rescheduled), (rejection) => rejection === rescheduled))
      .rejects.toBe(rescheduled);
    const span = onlySpan();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.events).toEqual([]);
  });

  it('turns work that throws before its promise into a rejection, and a failed span', async () => {
    const error = new Error('thrown at once');
    const work = tracing.inTrace(stored, 'poll hook', 'internal', {}, () => {
      throw error;
    });
    await expect(work).rejects.toBe(error);
    expect(onlySpan().status.code).toBe(SpanStatusCode.ERROR);
  });

  it('starts a new trace when nothing is stored', async () => {
    await tracing.inTrace(undefined, 'write final record', 'internal', {}, async () => undefined);
    const span = onlySpan();
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe(TRACE);
  });
});
