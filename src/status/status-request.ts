import type { Agent } from 'undici';
import type { StatusCheckFailure } from '../monitor/reading.ts';
import { HTTP_RESPONSE_STATUS_CODE } from '../tracing/attributes.ts';
import { tracing, type SpanHandle } from '../tracing/tracing.ts';

/** One request to a status service: a GET of one job's status, or a POST of a batch of job ids. */
export interface StatusRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  /** A JSON body (POST and PUT only). */
  json?: string;
  /** Longest the call may take, connect to last byte. */
  timeoutMs: number;
  /** For messages: the URL without credentials or query (describeUrl). */
  where: string;
  /** Headers besides Accept (a source's credentials and static headers); never logged. @defaultValue none */
  headers?: Readonly<Record<string, string>>;
  /** With tracing on, the span the request is made for (a poll's): its client span is a child of it. @defaultValue none */
  parent?: SpanHandle | undefined;
}

/** TLS options of every connection a client opens: a client certificate, and a CA to trust instead of the system's. */
export interface ClientTls {
  cert?: string;
  key?: string;
  ca?: string;
}

/** What came back: the answer's status, Retry-After header and body bytes, or why there was none. */
export type StatusResponse =
  | {
    ok: true; statusCode: number; retryAfter: string | string[] | undefined; bytes: Uint8Array;
    /** Every header of the answer, names lower-cased (Location, Retry-After, ...). */
    headers: Readonly<Record<string, string | string[] | undefined>>;
  }
  | { ok: false; failure: StatusCheckFailure };

type Undici = typeof import('undici');

/**
 * undici is loaded at the first status request, not with the worker: it is about a fifth of an idle
 * worker's memory (README, bench row 9e), and a worker with no HTTP monitor never needs it. The
 * first request waits for the import once; later ones find it loaded.
 */
let undici: Promise<Undici> | undefined;

/**
 * Status requests over keep-alive connections, made at the first request. undici's request()
 * follows no redirects and decodes no Content-Encoding: a 3xx is a failed check and a compressed
 * body is bytes that are not JSON, so a gzip bomb never expands here; `maxBodyBytes` cuts a body
 * that never ends.
 */
export class StatusHttpClient {
  private client: Promise<{ undici: Undici; agent: Agent }> | undefined;

  constructor(private readonly pool: { connectionsPerHost: number; maxBodyBytes: number; tls?: ClientTls | undefined }) {}

  /**
   * Sends one status request; never throws: a refused, cut or slow call is a failure with its reason.
   * With tracing on it is a client span of the poll, and carries its `traceparent` to the service.
   */
  send(call: StatusRequest): Promise<StatusResponse> {
    const traced = tracing();
    if (!traced) return this.request(call, undefined);
    return traced.httpCall(call, async (traceHeaders, span) => {
      const response = await this.request(call, traceHeaders);
      if (response.ok) span.set({ [HTTP_RESPONSE_STATUS_CODE]: response.statusCode });
      if (!response.ok) span.fail(response.failure.reason, response.failure.message);
      else if (response.statusCode >= 400) span.fail(String(response.statusCode));
      return response;
    });
  }

  private async request(call: StatusRequest, traceHeaders: Record<string, string> | undefined): Promise<StatusResponse> {
    const { undici: { request, errors }, agent } = await this.connect();
    try {
      const response = await request(call.url, {
        method: call.method,
        dispatcher: agent,
        headers: { accept: 'application/json', ...call.headers, ...traceHeaders, ...(call.json === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(call.json === undefined ? {} : { body: call.json }),
        // Covers the body too: a body that drips a byte a second is cut off with the rest.
        signal: AbortSignal.timeout(call.timeoutMs),
      });
      // Bytes, not text(): text() would turn invalid UTF-8 into U+FFFD and a mangled status.
      const bytes = new Uint8Array(await response.body.arrayBuffer());
      return { ok: true, statusCode: response.statusCode, retryAfter: response.headers['retry-after'], bytes, headers: response.headers };
    } catch (error) {
      return { ok: false, failure: classifyRequestError(errors, error, `${call.method} ${call.where}`, call.timeoutMs) };
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await (await client).agent.close();
  }

  private connect(): Promise<{ undici: Undici; agent: Agent }> {
    this.client ??= (undici ??= import('undici')).then((loaded) => ({
      undici: loaded,
      agent: new loaded.Agent({
        connections: this.pool.connectionsPerHost, keepAliveTimeout: 30_000, maxResponseSize: this.pool.maxBodyBytes,
        ...(this.pool.tls ? { connect: { ...this.pool.tls } } : {}),
      }),
    }));
    return this.client;
  }
}

function classifyRequestError(errors: Undici['errors'], error: unknown, what: string, timeoutMs: number): StatusCheckFailure {
  const name = (error as { name?: string })?.name;
  if (
    name === 'TimeoutError' || name === 'AbortError' ||
    error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError ||
    error instanceof errors.ConnectTimeoutError
  ) {
    return { reason: 'timeout', message: `${what} did not answer within ${timeoutMs}ms` };
  }
  if (error instanceof errors.ResponseExceededMaxSizeError) {
    return { reason: 'bad-body', message: `${what} returned a body larger than the limit` };
  }
  const code = (error as { code?: string })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
  return { reason: 'connection', message: `${what} failed: ${code ?? (error as Error)?.message ?? 'unknown error'}` };
}
