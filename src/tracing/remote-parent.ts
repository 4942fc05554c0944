import { ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { SPAN_ID_AT, SPAN_ID_LENGTH, TRACE_ID_AT, TRACE_ID_LENGTH, traceParentFlags } from './trace-parent.ts';
import type { TraceParent } from './tracing.ts';

/**
 * The context of a monitor's stored trace, for a span in it (a poll's parent is its monitor's
 * start, wherever and whenever that ran): what OpenTelemetry's W3C propagator would extract from
 * it; `traceFlags` are its flags as traceParentFlags read them (-1: not valid), which the caller
 * has read already to ask whether the span is recorded at all. A header that is not valid starts a
 * new trace, as the propagator's would.
 */
export function remoteParent(parent: TraceParent | undefined, traceFlags = parent ? traceParentFlags(parent.traceparent) : -1): Context {
  if (!parent || traceFlags < 0) return ROOT_CONTEXT;
  const header = parent.traceparent;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: header.slice(TRACE_ID_AT, TRACE_ID_AT + TRACE_ID_LENGTH),
    spanId: header.slice(SPAN_ID_AT, SPAN_ID_AT + SPAN_ID_LENGTH),
    traceFlags,
    isRemote: true,
    ...(parent.tracestate ? { traceState: new TraceState(parent.tracestate) } : {}),
  });
}
