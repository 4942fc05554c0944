import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, ParentBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { UnrecordedSpan } from '../../src/tracing/otel-span.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const traceparent = (flags: string, traceId = TRACE, parentId = PARENT) => `00-${traceId}-${parentId}-${flags}`;

describe('UnrecordedSpan.under: which parents the SDK is left out for', () => {
  it.each([
    ['an unsampled parent', traceparent('00'), true],
    ['an unsampled parent with other flags set', traceparent('02'), true],
    ['a sampled parent', traceparent('01'), false],
    ['a sampled parent with other flags set', traceparent('03'), false],
    ['another version', `01-${TRACE}-${PARENT}-00`, false],
    ['upper-case hex', traceparent('00', TRACE.toUpperCase()), false],
    ['a trace id of zeros', traceparent('00', '0'.repeat(32)), false],
    ['a parent id of zeros', traceparent('00', TRACE, '0'.repeat(16)), false],
    ['a short trace id', traceparent('00', TRACE.slice(1)), false],
    ['trailing fields', `${traceparent('00')}-extra`, false],
    ['a parent id with a letter past f', traceparent('00', TRACE, `${PARENT.slice(0, 15)}g`), false],
    ['flags that are not hex', traceparent('0x'), false],
    ['unsampled flags that are not hex in their first digit', traceparent('x0'), false],
    ['a separator out of place (same length)', `00-${TRACE}${PARENT.slice(0, 1)}-${PARENT.slice(1)}-00`, false],
    ['a trace id with a dash in it', traceparent('00', `${TRACE.slice(0, 31)}-`), false],
  ])('%s: %s', (_what, header, unrecorded) => {
    expect(UnrecordedSpan.under({ traceparent: header }) !== undefined).toBe(unrecorded);
  });
});

describe('an UnrecordedSpan', () => {
  it('continues the trace unsampled, from a span id of its own that its log lines name too', () => {
    const span = UnrecordedSpan.under({ traceparent: traceparent('00'), tracestate: 'vendor=abc,other=1' })!;
    const headers = span.headers();
    expect(headers).toEqual({ traceparent: expect.stringMatching(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`)), tracestate: 'vendor=abc,other=1' });
    expect(headers.traceparent).not.toContain(PARENT);
    expect(span.headers()).toEqual(headers);
    expect(span.logIds()).toEqual({ trace_id: TRACE, span_id: headers.traceparent!.slice(36, 52) });
  });

  it('has children of the same trace, each with its own span id, and sends no tracestate it was not given', () => {
    const span = UnrecordedSpan.under({ traceparent: traceparent('00') })!;
    const child = span.child();
    expect(child.headers()).toEqual({ traceparent: expect.stringMatching(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`)) });
    expect(child.logIds().span_id).not.toBe(span.logIds().span_id);
  });

  it("sends what the SDK's own span would: the same trace, flags and trace state, under a parent-based sampler", () => {
    const provider = new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }) });
    const propagator = new W3CTraceContextPropagator();
    const parent = { traceparent: traceparent('00'), tracestate: 'vendor=abc' };
    const sdkSpan = provider.getTracer('test').startSpan('poll', {}, propagator.extract(ROOT_CONTEXT, parent, defaultTextMapGetter));
    const sdkHeaders: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, sdkSpan), sdkHeaders, defaultTextMapSetter);
    expect(sdkSpan.isRecording()).toBe(false);
    const ours = UnrecordedSpan.under(parent)!.headers();
    const withoutSpanId = (header: string | undefined) => header?.replace(/-[0-9a-f]{16}-/, '-{span}-');
    expect(withoutSpanId(ours.traceparent)).toBe(withoutSpanId(sdkHeaders.traceparent));
    expect(ours.tracestate).toBe(sdkHeaders.tracestate);
  });
});
