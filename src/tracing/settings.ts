import type { Config } from '../config/config.ts';

/** How traces are recorded and exported, once tracing is on. */
export interface TracingSettings {
  /** OTLP over HTTP, protobuf or JSON. */
  protocol: 'http/protobuf' | 'http/json';
  /** Which traces are recorded: one of OpenTelemetry's built-in samplers, with its ratio. */
  sampler: { name: Config['otelTracesSampler']; ratio: number };
  serviceName: string;
  batchDelayMs: number;
}

/**
 * Whether tracing is on, and how, by OpenTelemetry's own rules: `OTEL_SDK_DISABLED=true` turns it
 * off whatever else is set; `OTEL_TRACES_EXPORTER=otlp` turns it on, `none` keeps it off; unset,
 * an OTLP endpoint variable turns it on. Undefined when off.
 */
export function tracingSettings(config: Config, defaultServiceName: string): TracingSettings | undefined {
  if (config.otelSdkDisabled || config.otelTracesExporter === 'none') return undefined;
  const endpointSet = config.otelEndpoint !== undefined || config.otelTracesEndpoint !== undefined;
  if (config.otelTracesExporter !== 'otlp' && !endpointSet) return undefined;
  return {
    protocol: config.otelTracesProtocol ?? config.otelProtocol,
    sampler: { name: config.otelTracesSampler, ratio: config.otelTracesSamplerArg ?? 1 },
    serviceName: config.otelServiceName ?? defaultServiceName,
    batchDelayMs: config.otelBatchDelayMs,
  };
}
