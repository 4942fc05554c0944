import {
  context, defaultTextMapGetter, SpanKind, SpanStatusCode, trace, type Context, type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider,
  type Sampler, type SpanExporter,
} from '@opentelemetry/sdk-trace';
import {
  ATTR_HTTP_REQUEST_METHOD, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_SERVICE_NAME, ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { OtelSpanHandle, UnrecordedSpan } from './otel-span.ts';
import { remoteParent } from './remote-parent.ts';
import { traceParentFlags } from './trace-parent.ts';
import type { TracingSettings } from './settings.ts';
import type { CallerTrace, HttpCall, SpanAttributes, SpanHandle, SpanRole, TraceParent, Tracing } from './tracing.ts';
import { safeUrl } from './safe-url.ts';

/** The instrumentation scope of every jobwatch span. */
const SCOPE = 'jobwatch';

const KINDS: Record<SpanRole, SpanKind> = { internal: SpanKind.INTERNAL, client: SpanKind.CLIENT, producer: SpanKind.PRODUCER };

/**
 * The OpenTelemetry SDK, set up from jobwatch's config: a tracer provider with the configured
 * sampler and an OTLP/HTTP exporter, registered globally unless the host application (jobwatch used
 * as a library) registered its own, whose provider then gets jobwatch's spans. Loaded by
 * tracing.ts only when tracing is on.
 *
 * No context manager is registered: every parent is passed in (see SpanHandle). The one
 * OpenTelemetry has for Node, AsyncLocalStorage, on Node 20 puts a hook on every promise of the
 * process once it runs, and BullMQ and ioredis make many per poll, sampled or not: about 12 µs of a
 * worker's 75 µs of CPU per poll in bench row 2t. A host application's own, if it registered one,
 * still gives a monitor's start its active span as parent.
 */
export async function createOtelTracing(settings: TracingSettings): Promise<Tracing> {
  const exporter = await createExporter(settings.protocol);
  const provider = new TracerProvider({
    resource: detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName })),
    sampler: createSampler(settings.sampler),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: settings.batchDelayMs })],
  });
  // False when the host application set its own: its provider then gets jobwatch's spans.
  const ours = trace.setGlobalTracerProvider(provider);
  if (!ours) await provider.shutdown();
  if (!ours) return new OtelTracing(trace.getTracer(SCOPE), undefined, false);
  // Ours is asked directly, not through the global proxy that would look it up at each span.
  return new OtelTracing(provider.getTracer(SCOPE), provider, settings.sampler.name.startsWith('parentbased_'));
}
async function createExporter(protocol: TracingSettings['protocol']): Promise<SpanExporter> {
  // Only the encoding asked for is loaded; each exporter reads its endpoint, headers and timeout from OTEL_EXPORTER_OTLP_*.
  if (protocol === 'http/json') return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
}

/** OpenTelemetry's built-in samplers by their OTEL_TRACES_SAMPLER names. */
function createSampler({ name, ratio }: TracingSettings['sampler']): Sampler {
  const root = name.endsWith('always_off') ? new AlwaysOffSampler() : name.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

class OtelTracing implements Tracing {
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(
    private readonly tracer: Tracer,
    /** Ours, to shut down; undefined when the host application's gets the spans. */
    private readonly provider: TracerProvider | undefined,
    /** Whether the sampler is known to be parent-based (ours, configured so): a child of an unsampled span is then an UnrecordedSpan. */
    private readonly parentBased: boolean,
  ) {}

  startSpan<T>(
    name: string, attributes: SpanAttributes, caller: CallerTrace | undefined,
    fn: (parent: TraceParent | undefined, span: SpanHandle) => Promise<T>,
  ): Promise<T> {
    // context.active() is the host application's active span, or the root when no one registered a context manager.
    const parent = caller?.traceparent ? this.propagator.extract(context.active(), caller, defaultTextMapGetter) : context.active();
    return this.run(parent, name, SpanKind.PRODUCER, attributes, (handle) => fn(toTraceParent(handle.headers()), handle));
  }

  inTrace<T>(
    parent: TraceParent | undefined, name: string, role: SpanRole, attributes: SpanAttributes, fn: (span: SpanHandle) => Promise<T>,
    expected?: (rejection: unknown) => boolean,
  ): Promise<T> {
    // The stored header is read once, for both questions: is the span recorded, and under what.
    const flags = parent ? traceParentFlags(parent.traceparent) : -1;
    const unrecorded = this.unrecordedUnder(parent, flags);
    if (unrecorded) return fn(unrecorded);
    return this.run(remoteParent(parent, flags), name, KINDS[role], attributes, fn, expected);
  }

  unrecordedUnder(parent: TraceParent | undefined, flags?: number): UnrecordedSpan | undefined {
    return this.parentBased && parent ? UnrecordedSpan.under(parent, flags) : undefined;
  }

  httpCall<T>(call: HttpCall, fn: (headers: Record<string, string>, span: SpanHandle) => Promise<T>): Promise<T> {
    if (call.parent instanceof UnrecordedSpan) {
      const span = call.parent.child();
      return fn(span.headers(), span);
    }
    const parent = call.parent instanceof OtelSpanHandle ? call.parent.context : context.active();
    // The HTTP semantic conventions name a client span by its method alone.
    return this.run(parent, call.method, SpanKind.CLIENT, { [ATTR_HTTP_REQUEST_METHOD]: call.method }, (span) => {
      // Set after the start, so that a request that is not recorded (most, at a low ratio) parses no
      // URL; the samplers jobwatch configures (OpenTelemetry's built-in ones) read no attribute.
      if (span.span.isRecording()) span.span.setAttributes(urlAttributes(call.url));
      return fn(span.headers(), span);
    });
  }

  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }

  /**
   * `fn` in a new span, ended when its promise settles. No async function: a traced poll's span
   * lives through all of its awaits, and an async frame around it would too (bench row 2t).
   */
  private run<T>(
    parent: Context, name: string, kind: SpanKind, attributes: SpanAttributes, fn: (span: OtelSpanHandle) => Promise<T>,
    expected?: (rejection: unknown) => boolean,
  ): Promise<T> {
    // An undefined attribute is left out by the SDK itself (the API's Attributes allow one).
    const span = this.tracer.startSpan(name, { kind, attributes }, parent);
    const failed = (error: unknown): never => {
      if (!expected?.(error)) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      }
      span.end();
      throw error;
    };
    let work: Promise<T>;
    try {
      work = fn(new OtelSpanHandle(span, parent, this.propagator));
    } catch (error) {
      work = Promise.reject(error);
    }
    return work.then((value) => {
      span.end();
      return value;
    }, failed);
  }
}

/** The HTTP client span's attributes of a URL: without its credentials and query values (safeUrl). */
function urlAttributes(href: string): Record<string, string | number> {
  const url = new URL(href);
  return {
    [ATTR_URL_FULL]: safeUrl(url), [ATTR_SERVER_ADDRESS]: url.hostname, [ATTR_SERVER_PORT]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
  };
}

/** Undefined when the span has no valid context (a host application's no-op provider). */
function toTraceParent(headers: Record<string, string>): TraceParent | undefined {
  if (!headers.traceparent) return undefined;
  return { traceparent: headers.traceparent, ...(headers.tracestate ? { tracestate: headers.tracestate } : {}) };
}
