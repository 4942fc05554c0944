import {
  defaultTextMapSetter, isSpanContextValid, SpanStatusCode, trace, type Context, type Span,
} from '@opentelemetry/api';
import type { W3CTraceContextPropagator } from '@opentelemetry/core';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { SAMPLED, TRACE_ID_AT, TRACE_ID_LENGTH, traceParentFlags } from './trace-parent.ts';
import type { SpanAttributes, SpanHandle, TraceParent } from './tracing.ts';

/** A span, and what its children and the requests made in it need of it: its context, and its W3C headers. */
export class OtelSpanHandle implements SpanHandle {
  private active: Context | undefined;

  constructor(readonly span: Span, private readonly parent: Context, private readonly propagator: W3CTraceContextPropagator) {}

  /** The parent's context with this span set: what a child span starts from. Made when first asked for. */
  get context(): Context {
    return (this.active ??= trace.setSpan(this.parent, this.span));
  }

  set(attributes: SpanAttributes): void {
    // An undefined value is left out by the SDK itself (the API's Attributes allow one).
    if (this.span.isRecording()) this.span.setAttributes(attributes);
  }

  fail(type: string, message?: string): void {
    this.span.setAttribute(ATTR_ERROR_TYPE, type);
    this.span.setStatus({ code: SpanStatusCode.ERROR, ...(message === undefined ? {} : { message }) });
  }

  headers(): Record<string, string> {
    const carrier: Record<string, string> = {};
    if (isSpanContextValid(this.span.spanContext())) this.propagator.inject(this.context, carrier, defaultTextMapSetter);
    return carrier;
  }

  logIds(): { trace_id: string; span_id: string } {
    const { traceId, spanId } = this.span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  }
}

const ids = new RandomIdGenerator();

/**
 * A span the sampler is known to drop, made without the SDK: a child of a trace that was not
 * sampled, under a parent-based sampler (which drops every child of an unsampled parent). At a
 * ratio of 0.1 that is nine polls in ten, and the SDK's span for each (a parsed parent, contexts,
 * a sampling result, a span id, a span object) was garbage the worker's GC paid for at every poll.
 * It is what the SDK's own unrecorded span would be: the parent's trace id and trace state, the
 * sampled flag off, and a span id of its own (made only when a request or a log line asks for it),
 * so that the status service and the webhook receiver still see the trace go on, unsampled.
 * It keeps the parent's header as it is: the trace id is cut from it only when something asks.
 */
export class UnrecordedSpan implements SpanHandle {
  private spanId: string | undefined;

  private constructor(private readonly parent: string, private readonly tracestate: string | undefined) {}

  /**
   * The span under `parent` when `parent` is well-formed and not sampled; undefined otherwise (the
   * SDK decides). `flags`: the header's, when the caller has read them already (traceParentFlags).
   */
  static under(parent: TraceParent, flags = traceParentFlags(parent.traceparent)): UnrecordedSpan | undefined {
    return flags >= 0 && (flags & SAMPLED) === 0 ? new UnrecordedSpan(parent.traceparent, parent.tracestate) : undefined;
  }

  /** A child span (an HTTP request made in this one): unsampled too. */
  child(): UnrecordedSpan {
    return new UnrecordedSpan(this.parent, this.tracestate);
  }

  set(): void {}

  fail(): void {}

  headers(): Record<string, string> {
    const traceparent = `00-${this.traceId()}-${this.id()}-00`;
    return this.tracestate ? { traceparent, tracestate: this.tracestate } : { traceparent };
  }

  logIds(): { trace_id: string; span_id: string } {
    return { trace_id: this.traceId(), span_id: this.id() };
  }

  private traceId(): string {
    return this.parent.slice(TRACE_ID_AT, TRACE_ID_AT + TRACE_ID_LENGTH);
  }

  private id(): string {
    return (this.spanId ??= ids.generateSpanId());
  }
}
