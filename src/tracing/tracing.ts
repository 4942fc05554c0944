import type { Config } from '../config/config.ts';
import type { TraceParent } from '../monitor/context.ts';
import type { SpanAttributes, SpanHandle } from '../monitor/span-handle.ts';
import { tracingSettings } from './settings.ts';

export type { TraceParent, SpanAttributes, SpanHandle };

/** What a span is, in OpenTelemetry's terms: work in this process, a call out, or a message sent. */
export type SpanRole = 'internal' | 'client' | 'producer';

/** The URL and method of an outgoing HTTP request, for its client span, and the span it is made in. */
export interface HttpCall {
  method: string;
  url: string;
  /** The span the request is made for (a poll's); absent: the host application's active span, if it has a context manager. */
  parent?: SpanHandle | undefined;
}

/** The `traceparent` and `tracestate` headers of a request, as it sent them. */
export interface CallerTrace {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

/**
 * jobwatch's tracing, as the rest of src/ sees it: no OpenTelemetry type appears here, so that a
 * process with tracing off loads none of OpenTelemetry (not even its API). otel-tracing.ts fills it.
 * Parents are passed in, never taken from an active context that jobwatch would have to keep (see
 * SpanHandle); only a host application's own context manager, if it registered one, is read.
 */
export interface Tracing {
  /**
   * The span of a monitor's start: a child of `caller` (the W3C trace context of the request that
   * asked for it) when it has a `traceparent`, else of the host application's active span, else a
   * new trace. `fn` gets the context to store in the monitor, which carries the trace (and its
   * sampling decision) on.
   */
  startSpan<T>(
    name: string, attributes: SpanAttributes, caller: CallerTrace | undefined,
    fn: (trace: TraceParent | undefined, span: SpanHandle) => Promise<T>,
  ): Promise<T>;
  /**
   * A span in a monitor's stored trace (a poll, the final record, a notification), open while `fn`
   * runs; a rejection of `fn` marks it failed, unless `expected` says the rejection is how the work
   * ends as it should (a poll re-scheduled).
   */
  inTrace<T>(
    parent: TraceParent | undefined, name: string, role: SpanRole, attributes: SpanAttributes, fn: (span: SpanHandle) => Promise<T>,
    expected?: (rejection: unknown) => boolean,
  ): Promise<T>;
  /**
   * The span of work under `parent` when the sampler is known to drop it (parent-based, and `parent`
   * not sampled), made without the SDK; undefined when the SDK decides. `inTrace` gives the same
   * span; asking first lets a hot path (a poll) skip making a name and attributes no one records.
   */
  unrecordedUnder(parent: TraceParent | undefined): SpanHandle | undefined;
  /** An HTTP client span, child of `call.parent`; `fn` sends the request with the headers given. */
  httpCall<T>(call: HttpCall, fn: (headers: Record<string, string>, span: SpanHandle) => Promise<T>): Promise<T>;
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
