import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as OTLP/JSON carries it, with its attributes flattened and its process's service.name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** Its status: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** Start and end, in milliseconds since the epoch (fractional: OTLP sends nanoseconds). */
  startMs: number;
  endMs: number;
}

/** A local OTLP/HTTP collector for tests: takes JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) at /v1/traces. */
export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  close(): Promise<void>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };
interface OtlpBody {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[]; startTimeUnixNano?: string | number; endTimeUnixNano?: string | number; status?: { code?: number } }[] }[];
  }[];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') spans.push(...decode(JSON.parse(body) as OtlpBody));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function decode(body: OtlpBody): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resource) => {
    const service = String(flatten(resource.resource?.attributes)['service.name'] ?? '');
    return (resource.scopeSpans ?? []).flatMap((scope) => (scope.spans ?? []).map((span) => ({
      service, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId || undefined,
      name: span.name, kind: span.kind, attributes: flatten(span.attributes), statusCode: span.status?.code ?? 0,
      startMs: nanosToMs(span.startTimeUnixNano), endMs: nanosToMs(span.endTimeUnixNano),
    })));
  });
}

function flatten(attributes: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  const flat: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes ?? []) {
    flat[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.boolValue ?? value.doubleValue ?? '';
  }
  return flat;
}

/** OTLP/JSON times are nanoseconds since the epoch, as a decimal string: too large for a double, so split first. */
function nanosToMs(nanos: string | number | undefined): number {
  if (nanos === undefined) return 0;
  const exact = BigInt(nanos);
  return Number(exact / 1_000_000n) + Number(exact % 1_000_000n) / 1e6;
}
