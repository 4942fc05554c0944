import {
  context, defaultTextMapGetter, defaultTextMapSetter, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace,
  type Context, type Span,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider,
  type Sampler, type SpanExporter,
} from '@opentelemetry/sdk-trace';
import {
  ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_SERVICE_NAME, ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import type { TracingSettings } from './settings.ts';
import type { HttpCall, SpanAttributes, SpanHandle, SpanRole, TraceParent, Tracing } from './tracing.ts';
import { safeUrl } from './safe-url.ts';

/** The instrumentation scope of every jobwatch span. */
const SCOPE = 'jobwatch';

const KINDS: Record<SpanRole, SpanKind> = { internal: SpanKind.INTERNAL, client: SpanKind.CLIENT, producer: SpanKind.PRODUCER };

/**
 * The OpenTelemetry SDK, set up from jobwatch's config: a tracer provider with the configured
 * sampler and an OTLP/HTTP exporter, registered globally unless the host application (jobwatch used
 * as a library) registered its own, whose provider then gets jobwatch's spans. Loaded by
 * tracing.ts only when tracing is on.
 */
export async function createOtelTracing(settings: TracingSettings): Promise<Tracing> {
  const exporter = await createExporter(settings.protocol);
  const provider = new TracerProvider({
    resource: detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName })),
    sampler: createSampler(settings.sampler),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: settings.batchDelayMs })],
  });
  // Both return false when the host application set its own: then its own are used.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const ours = trace.setGlobalTracerProvider(provider);
  if (!ours) await provider.shutdown();
  return new OtelTracing(trace.getTracer(SCOPE), ours ? provider : undefined);
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

  constructor(private readonly tracer: ReturnType<typeof trace.getTracer>, private readonly provider: TracerProvider | undefined) {}

  startSpan<T>(name: string, attributes: SpanAttributes, fn: (parent: TraceParent | undefined, span: SpanHandle) => Promise<T>): Promise<T> {
    return this.run(context.active(), name, SpanKind.PRODUCER, attributes, (handle) => fn(toTraceParent(handle.headers()), handle));
  }

  asChildOf<T>(caller: { traceparent?: string | undefined; tracestate?: string | undefined }, fn: () => Promise<T>): Promise<T> {
    if (!caller.traceparent) return fn();
    return context.with(this.propagator.extract(context.active(), caller, defaultTextMapGetter), fn);
  }

  inTrace<T>(parent: TraceParent | undefined, name: string, role: SpanRole, attributes: SpanAttributes, fn: (span: SpanHandle) => Promise<T>): Promise<T> {
    // Extracted from the monitor's context, not taken from the active one: a poll's parent is its
    // monitor's start, wherever and whenever that ran.
    const parentContext = parent ? this.propagator.extract(ROOT_CONTEXT, parent, defaultTextMapGetter) : ROOT_CONTEXT;
    return this.run(parentContext, name, KINDS[role], attributes, fn);
  }

  httpCall<T>(call: HttpCall, fn: (headers: Record<string, string>, span: SpanHandle) => Promise<T>): Promise<T> {
    const url = new URL(call.url);
    const attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: call.method, [ATTR_URL_FULL]: safeUrl(url),
      [ATTR_SERVER_ADDRESS]: url.hostname, [ATTR_SERVER_PORT]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    };
    // The HTTP semantic conventions name a client span by its method alone.
    return this.run(context.active(), call.method, SpanKind.CLIENT, attributes, (span) => fn(span.headers(), span));
  }

  logIds(): { trace_id: string; span_id: string } | undefined {
    const span = trace.getActiveSpan();
    if (!span) return undefined;
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  }

  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }

  private async run<T>(parent: Context, name: string, kind: SpanKind, attributes: SpanAttributes, fn: (span: SpanHandle) => Promise<T>): Promise<T> {
    const span = this.tracer.startSpan(name, { kind, attributes: defined(attributes) }, parent);
    const active = trace.setSpan(parent, span);
    const handle = this.handle(span, active);
    try {
      return await context.with(active, () => fn(handle));
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      throw error;
    } finally {
      span.end();
    }
  }

  private handle(span: Span, active: Context): SpanHandle {
    return {
      set: (attributes) => {
        if (span.isRecording()) span.setAttributes(defined(attributes));
      },
      fail: (type, message) => {
        span.setAttribute(ATTR_ERROR_TYPE, type);
        span.setStatus({ code: SpanStatusCode.ERROR, ...(message === undefined ? {} : { message }) });
      },
      headers: () => {
        const carrier: Record<string, string> = {};
        if (isSpanContextValid(span.spanContext())) this.propagator.inject(active, carrier, defaultTextMapSetter);
        return carrier;
      },
    };
  }
}

/** Undefined when the span has no valid context (a host application's no-op provider). */
function toTraceParent(headers: Record<string, string>): TraceParent | undefined {
  if (!headers.traceparent) return undefined;
  return { traceparent: headers.traceparent, ...(headers.tracestate ? { tracestate: headers.tracestate } : {}) };
}

function defined(attributes: SpanAttributes): Record<string, string | number | boolean> {
  const kept: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) kept[key] = value;
  return kept;
}
