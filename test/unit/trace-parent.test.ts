import { defaultTextMapGetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { remoteParent } from '../../src/tracing/remote-parent.ts';
import { traceParentFlags } from '../../src/tracing/trace-parent.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const traceparent = (flags: string, traceId = TRACE, parentId = PARENT) => `00-${traceId}-${parentId}-${flags}`;

/** Version-00 headers, valid and not: the read in place must agree with OpenTelemetry's W3C propagator on each. */
const HEADERS: [string, string][] = [
  ['unsampled', traceparent('00')],
  ['sampled', traceparent('01')],
  ['unsampled with another flag set', traceparent('02')],
  ['sampled with another flag set', traceparent('03')],
  ['every flag set', traceparent('ff')],
  ['hex letters in every field', traceparent('0a', 'abcdef0123456789abcdef0123456789', 'fedcba9876543210')],
  ['upper-case hex', traceparent('01', TRACE.toUpperCase())],
  ['a trace id of zeros', traceparent('01', '0'.repeat(32))],
  ['a parent id of zeros', traceparent('01', TRACE, '0'.repeat(16))],
  ['a short trace id', traceparent('01', TRACE.slice(1))],
  ['a long parent id', traceparent('01', TRACE, `${PARENT}0`)],
  ['trailing fields', `${traceparent('01')}-extra`],
  ['a parent id with a letter past f', traceparent('01', TRACE, `${PARENT.slice(0, 15)}g`)],
  ['flags that are not hex', traceparent('0x')],
  ['flags not hex in their first digit', traceparent('x1')],
  ['one flag digit', traceparent('1')],
  ['a separator out of place (same length)', `00-${TRACE}${PARENT.slice(0, 1)}-${PARENT.slice(1)}-01`],
  ['a trace id with a dash in it', traceparent('01', `${TRACE.slice(0, 31)}-`)],
  ['a space for a separator', `00 ${TRACE}-${PARENT}-01`],
  ['empty', ''],
];

const propagator = new W3CTraceContextPropagator();
const extracted = (header: string, tracestate?: string) =>
  trace.getSpanContext(propagator.extract(ROOT_CONTEXT, { traceparent: header, ...(tracestate ? { tracestate } : {}) }, defaultTextMapGetter));

describe('traceParentFlags: a stored traceparent read in place', () => {
  it.each(HEADERS)('%s: valid and flagged as the W3C propagator reads it', (_what, header) => {
    const theirs = extracted(header);
    expect(traceParentFlags(header)).toBe(theirs ? theirs.traceFlags : -1);
  });

  it('takes version 00 only: jobwatch writes no other (the propagator would take a later one)', () => {
    expect(traceParentFlags(`01-${TRACE}-${PARENT}-01`)).toBe(-1);
    expect(traceParentFlags(`ff-${TRACE}-${PARENT}-01`)).toBe(-1);
  });
});

describe("remoteParent: a span's parent from the monitor's stored trace", () => {
  it.each(HEADERS)('%s: the context the W3C propagator extracts', (_what, header) => {
    for (const tracestate of [undefined, 'vendor=abc,other=1']) {
      const ours = trace.getSpanContext(remoteParent({ traceparent: header, ...(tracestate ? { tracestate } : {}) }));
      const theirs = extracted(header, tracestate);
      expect(ours && { ...ours, traceState: ours.traceState?.serialize() }).toEqual(theirs && { ...theirs, traceState: theirs.traceState?.serialize() });
    }
  });

  it('is the root, a new trace, with no stored trace', () => {
    expect(remoteParent(undefined)).toBe(ROOT_CONTEXT);
  });
});
