import { Agent, errors, request } from 'undici';
import type { MonitorContext } from '../monitor/context.ts';
import { describeUrl } from '../monitor/describe-url.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import { readStatus } from './read-field.ts';
import type { StatusCheckFailure, StatusReading } from '../monitor/reading.ts';

export interface HttpStatusProviderOptions {
  /** Longest a status call may take, connect to last byte. */
  timeoutMs: number;
  /** Largest status body read; a larger one is a failed check. @defaultValue 1 MiB */
  maxBodyBytes?: number;
  /** Connections kept open per status host. @defaultValue 64 */
  connectionsPerHost?: number;
}

/** Longest Retry-After honoured, so that a confused service cannot park a monitor for days. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/** Reads statuses with GET requests over keep-alive connections. */
export class HttpStatusProvider implements StatusProvider {
  private readonly agent: Agent;

  constructor(private readonly options: HttpStatusProviderOptions) {
    this.agent = new Agent({
      connections: options.connectionsPerHost ?? 64,
      keepAliveTimeout: 30_000,
      maxResponseSize: options.maxBodyBytes ?? 1024 * 1024,
    });
  }

  async read(context: MonitorContext): Promise<StatusReading> {
    if (context.status.kind !== 'http') throw new Error('HttpStatusProvider given a non-http monitor');
    const url = context.status.url.replaceAll('{jobId}', encodeURIComponent(context.jobId));
    const where = describeUrl(url);
    try {
      const response = await request(url, {
        method: 'GET',
        dispatcher: this.agent,
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await response.body.text();
      return interpretResponse(response.statusCode, response.headers['retry-after'], text, context.statusField, where);
    } catch (error) {
      return { ok: false, failure: classifyRequestError(error, where, this.options.timeoutMs) };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function interpretResponse(
  statusCode: number,
  retryAfter: string | string[] | undefined,
  text: string,
  statusField: string,
  where: string,
): StatusReading {
  if (statusCode === 404) {
    return { ok: false, failure: { reason: 'not-found', httpStatus: 404, message: `GET ${where} answered 404: the job is unknown` } };
  }
  if (statusCode < 200 || statusCode >= 300) {
    const failure: StatusCheckFailure = { reason: 'http-status', httpStatus: statusCode, message: `GET ${where} answered ${statusCode}` };
    const wait = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    if (wait !== undefined) failure.retryAfterMs = wait;
    return { ok: false, failure };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, failure: { reason: 'bad-body', httpStatus: statusCode, message: `GET ${where} returned a body that is not JSON` } };
  }
  const status = readStatus(body, statusField);
  if (status === undefined) {
    return { ok: false, failure: { reason: 'missing-field', httpStatus: statusCode, message: `GET ${where} returned JSON with no status string at "${statusField}"` } };
  }
  return { ok: true, status, body, httpStatus: statusCode };
}

function classifyRequestError(error: unknown, where: string, timeoutMs: number): StatusCheckFailure {
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
