import type { Config } from '../config/config.ts';
import type { TraceParent } from '../monitor/context.ts';
import { tracingSettings } from './settings.ts';

export type { TraceParent };

/** Span attribute values; an undefined one is left out. */
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** What a span is, in OpenTelemetry's terms: work in this process, a call out, or a message sent. */
export type SpanRole = 'internal' | 'client' | 'producer';

/** The span a traced piece of work runs in. */
export interface SpanHandle {
  set(attributes: SpanAttributes): void;
  /** Marks the span failed: `type` is its `error.type` (a reason, never a secret). */
  fail(type: string, message?: string): void;
  /** The W3C `traceparent` (and `tracestate`) that make the receiver's spans children of this one. */
  headers(): Record<string, string>;
}

/** The URL and method of an outgoing HTTP request, for its client span. */
export interface HttpCall {
  method: string;
  url: string;
}

/**
 * jobwatch's tracing, as the rest of src/ sees it: no OpenTelemetry type appears here, so that a
 * process with tracing off loads none of OpenTelemetry (not even its API). otel-tracing.ts fills it.
 */
export interface Tracing {
  /**
   * The span of a monitor's start, child of the caller's active span or a new trace: `fn` gets the
   * context to store in the monitor, which carries the trace (and its sampling decision) on.
   */
  startSpan<T>(name: string, attributes: SpanAttributes, fn: (trace: TraceParent | undefined, span: SpanHandle) => Promise<T>): Promise<T>;
  /** Runs `fn` with a caller's W3C trace context (its request headers) active, when it sent one. */
  asChildOf<T>(caller: { traceparent?: string | undefined; tracestate?: string | undefined }, fn: () => Promise<T>): Promise<T>;
  /** A span in a monitor's stored trace (a poll, the final record, a notification), active while `fn` runs. */
  inTrace<T>(parent: TraceParent | undefined, name: string, role: SpanRole, attributes: SpanAttributes, fn: (span: SpanHandle) => Promise<T>): Promise<T>;
  /** An HTTP client span under the active span; `fn` sends the request with the headers given. */
  httpCall<T>(call: HttpCall, fn: (headers: Record<string, string>, span: SpanHandle) => Promise<T>): Promise<T>;
  /** The active span's ids, for log lines; undefined outside any span. */
  logIds(): { trace_id: string; span_id: string } | undefined;
  /** Exports what is left and stops. */
  shutdown(): Promise<void>;
}

/** Set when tracing is on: the one flag a poll checks. */
let active: Tracing | undefined;
let starting: Promise<Tracing | undefined> | undefined;

/** This process's tracing, or undefined when it is off (the default). */
export function tracing(): Tracing | undefined {
  return active;
}

/**
 * Turns tracing on if the config says so (settings.ts), loading the OpenTelemetry SDK only then.
 * Called once by each entry point (worker, server, CLI, library client); later calls share the first.
 */
export function startTracing(config: Config, serviceName: string): Promise<Tracing | undefined> {
  starting ??= (async () => {
    const settings = tracingSettings(config, serviceName);
    if (!settings) return undefined;
    const { createOtelTracing } = await import('./otel-tracing.ts');
    active = await createOtelTracing(settings);
    return active;
  })();
  return starting;
}

/** Exports the spans not yet sent and turns tracing off; the next startTracing starts afresh. */
export async function stopTracing(): Promise<void> {
  const stopping = active;
  active = undefined;
  starting = undefined;
  await stopping?.shutdown();
}
