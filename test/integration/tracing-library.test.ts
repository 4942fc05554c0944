import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { context, ROOT_CONTEXT, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { stopTracing } from '../../src/tracing/tracing.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { testClient } from '../helpers/workers.ts';

/**
 * jobwatch used as a library in an application that set up OpenTelemetry itself, with a context
 * manager (as NodeSDK registers one): jobwatch registers none of its own, yet a monitor started
 * inside the application's active span is a child of it, and its spans go to the application's
 * provider.
 */

/** The application's context manager: AsyncLocalStorage, as OpenTelemetry's own for Node is. */
class ApplicationContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(active: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(active, () => fn.call(thisArg, ...args));
  }

  bind<T>(_context: Context, target: T): T {
    return target;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

let iso: Isolated;
let client: JobwatchClient;
const exported = new InMemorySpanExporter();
const application = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: exported })] });

beforeAll(async () => {
  iso = await createIsolation();
  trace.setGlobalTracerProvider(application);
  context.setGlobalContextManager(new ApplicationContextManager());
  // Tracing on in jobwatch's config: it finds the application's provider and uses it.
  client = testClient(iso, { OTEL_TRACES_EXPORTER: 'otlp' });
});

afterAll(async () => {
  await client?.close();
  await stopTracing();
  await application.shutdown();
  trace.disable();
  context.disable();
  await iso?.cleanup();
});

const input = (jobId: string) => ({ jobId, statusUrl: 'http://127.0.0.1:9/jobs/{jobId}', interval: '1m' });
const startSpanOf = (monitorId: string) => exported.getFinishedSpans().find((span) => span.name === 'start monitor' && span.attributes['jobwatch.monitor.id'] === monitorId);

describe('jobwatch in an application with its own OpenTelemetry', () => {
  it("startMonitor within the application's active span is a child of it", async () => {
    const tracer = application.getTracer('application');
    const request = await tracer.startActiveSpan('application request', async (span) => {
      await client.startMonitor(input('in-request'));
      span.end();
      return span.spanContext();
    });
    expect(startSpanOf('in-request')).toMatchObject({
      spanContext: expect.any(Function),
      parentSpanContext: expect.objectContaining({ traceId: request.traceId, spanId: request.spanId }),
    });
    expect(startSpanOf('in-request')!.spanContext().traceId).toBe(request.traceId);
  });

  it('a trace context given to startMonitor wins over the active span', async () => {
    const caller = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
    await application.getTracer('application').startActiveSpan('application request', async (span) => {
      await client.startMonitor(input('given-trace'), { trace: { traceparent: `00-${caller.traceId}-${caller.spanId}-01` } });
      span.end();
    });
    expect(startSpanOf('given-trace')!.parentSpanContext).toMatchObject({ traceId: caller.traceId, spanId: caller.spanId, isRemote: true });
  });

  it('outside any span, a monitor starts a trace of its own', async () => {
    await client.startMonitor(input('no-parent'));
    expect(startSpanOf('no-parent')!.parentSpanContext).toBeUndefined();
  });
});
