/** Span attribute values; an undefined one is left out. */
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * The span a traced piece of work runs in (docs/tracing.md), as the work sees it. tracing/ makes
 * them; they are handed on by argument (a poll's span to its status request, through
 * `StatusProvider.read`), never looked up in an ambient context: on Node 20 the one OpenTelemetry
 * offers, AsyncLocalStorage, puts a hook on every promise of the process, traced or not. Declared
 * here, beside the port that carries it, so that monitor/ needs nothing of tracing/.
 */
export interface SpanHandle {
  set(attributes: SpanAttributes): void;
  /** Marks the span failed: `type` is its `error.type` (a reason, never a secret). */
  fail(type: string, message?: string): void;
  /** The W3C `traceparent` (and `tracestate`) that make the receiver's spans children of this one. */
  headers(): Record<string, string>;
  /** The span's ids as log lines of its work carry them (`trace_id`, `span_id`). */
  logIds(): { trace_id: string; span_id: string };
}
