import type { Agent } from 'undici';
import type { MonitorContext } from '../monitor/context.ts';
import { describeUrl } from '../monitor/describe-url.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import { readStatus } from './read-field.ts';
import type { StatusCheckFailure, StatusReading } from '../monitor/reading.ts';
import { MAX_STATUS_BODY_BYTES } from '../monitor/limits.ts';
import { readJson } from '../json/bounded-json.ts';

export interface HttpStatusProviderOptions {
  /** Longest a status call may take, connect to last byte. */
  timeoutMs: number;
  /** Largest status body read; a larger one is a failed check. @defaultValue MAX_STATUS_BODY_BYTES (1 MiB) */
  maxBodyBytes?: number;
  /** Connections kept open per status host. @defaultValue 64 */
  connectionsPerHost?: number;
}

/** Longest Retry-After honoured, so that a confused service cannot park a monitor for days. */
const MAX_RETRY_AFTER_MS = 3_600_000;

type Undici = typeof import('undici');

/**
 * undici is loaded at the first status call, not with the worker: it is about a fifth of an idle
 * worker's memory (README, bench row 9e), and a worker that has no HTTP monitor never needs it.
 * The first call waits for the import once (a few milliseconds); later calls find it loaded.
 */
let undici: Promise<Undici> | undefined;

/** Reads statuses with GET requests over keep-alive connections. */
export class HttpStatusProvider implements StatusProvider {
  private client: Promise<{ undici: Undici; agent: Agent }> | undefined;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: HttpStatusProviderOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_STATUS_BODY_BYTES;
  }

  async read(context: MonitorContext): Promise<StatusReading> {
    if (context.status.kind !== 'http') throw new Error('HttpStatusProvider given a non-http monitor');
    const url = context.status.url.replaceAll('{jobId}', encodeURIComponent(context.jobId));
    const where = describeUrl(url);
    const { undici: { request, errors }, agent } = await this.connect();
    try {
      const response = await request(url, {
        method: 'GET',
        dispatcher: agent,
        headers: { accept: 'application/json' },
        // Covers the body too: a body that drips a byte a second is cut off with the rest.
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      // Bytes, not text(): text() would turn invalid UTF-8 into U+FFFD and a mangled status.
      const bytes = new Uint8Array(await response.body.arrayBuffer());
      return interpretResponse(response.statusCode, response.headers['retry-after'], bytes, this.maxBodyBytes, context.statusField, where);
    } catch (error) {
      return { ok: false, failure: classifyRequestError(errors, error, where, this.options.timeoutMs) };
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await (await client).agent.close();
  }

  /** undici and the keep-alive pool, made at the first call. */
  private connect(): Promise<{ undici: Undici; agent: Agent }> {
    this.client ??= (undici ??= import('undici')).then((loaded) => ({
      undici: loaded,
      // undici's request() follows no redirects and decodes no Content-Encoding: a 3xx is a failed
      // check and a compressed body is bytes that are not JSON, so a gzip bomb never expands here.
      agent: new loaded.Agent({
        connections: this.options.connectionsPerHost ?? 64,
        keepAliveTimeout: 30_000,
        maxResponseSize: this.maxBodyBytes,
      }),
    }));
    return this.client;
  }
}

/** What one answer means: a status, or a failed check with its reason. Exported for its property tests. @internal */
export function interpretResponse(
  statusCode: number,
  retryAfter: string | string[] | undefined,
  bytes: Uint8Array,
  maxBodyBytes: number,
  statusField: string,
  where: string,
): StatusReading {
  if (statusCode === 404) {
    return { ok: false, failure: { reason: 'not-found', httpStatus: 404, message: `GET ${where} answered 404: the job is unknown` } };
  }
  const wait = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  if (statusCode < 200 || statusCode >= 300) {
    const failure: StatusCheckFailure = { reason: 'http-status', httpStatus: statusCode, message: `GET ${where} answered ${statusCode}` };
    if (wait !== undefined) failure.retryAfterMs = wait;
    return { ok: false, failure };
  }
  const json = readJson(bytes, { maxBytes: maxBodyBytes });
  if (!json.ok) {
    // 202 Accepted is "still running" in the async request-reply pattern, with or without a body.
    if (statusCode === 202) return runningWithoutStatus(null, wait);
    return { ok: false, failure: { reason: 'bad-body', httpStatus: statusCode, message: `GET ${where} returned a body that ${json.reason}` } };
  }
  const body = json.value;
  const status = readStatus(body, statusField);
  if (status === undefined) {
    if (statusCode === 202) return runningWithoutStatus(body, wait);
    return { ok: false, failure: { reason: 'missing-field', httpStatus: statusCode, message: `GET ${where} returned JSON with no status string at "${statusField}"` } };
  }
  // A Retry-After on a 2xx says when to ask again; it is used only if the status is a running one.
  return { ok: true, status, body, httpStatus: statusCode, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
}

/** A 202 with no status at the field: running, whatever the vocabulary; `Accepted` is kept as its last status. */
function runningWithoutStatus(body: unknown, retryAfterMs: number | undefined): StatusReading {
  return { ok: true, status: 'Accepted', body, running: true, httpStatus: 202, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

function classifyRequestError(errors: Undici['errors'], error: unknown, where: string, timeoutMs: number): StatusCheckFailure {
  const name = (error as { name?: string })?.name;
  if (
    name === 'TimeoutError' || name === 'AbortError' ||
    error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError ||
    error instanceof errors.ConnectTimeoutError
  ) {
    return { reason: 'timeout', message: `GET ${where} did not answer within ${timeoutMs}ms` };
  }
  if (error instanceof errors.ResponseExceededMaxSizeError) {
    return { reason: 'bad-body', message: `GET ${where} returned a body larger than the limit` };
  }
  const code = (error as { code?: string })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
  return { reason: 'connection', message: `GET ${where} failed: ${code ?? (error as Error)?.message ?? 'unknown error'}` };
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(Math.round(ms), MAX_RETRY_AFTER_MS);
}
