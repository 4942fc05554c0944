import { jobIdOf, type MonitorContext } from '../monitor/context.ts';
import { describeUrl } from '../monitor/describe-url.ts';
import { statusRequestUrl } from '../monitor/status-url.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import type { SpanHandle } from '../monitor/span-handle.ts';
import { readStatus } from './read-field.ts';
import type { StatusCheckFailure, StatusReading } from '../monitor/reading.ts';
import { MAX_STATUS_BODY_BYTES } from '../monitor/input-limits.ts';
import { readJson } from '../json/bounded-json.ts';
import { StatusHttpClient } from './status-request.ts';
import { parseRetryAfter } from '../time/retry-after.ts';

export interface HttpStatusProviderOptions {
  /** Longest a status call may take, connect to last byte. */
  timeoutMs: number;
  /** Largest status body read; a larger one is a failed check. @defaultValue MAX_STATUS_BODY_BYTES (1 MiB) */
  maxBodyBytes?: number;
  /** Connections kept open per status host. @defaultValue 64 */
  connectionsPerHost?: number;
}

/** Connections kept open per status host, unless told otherwise. */
export const DEFAULT_CONNECTIONS_PER_HOST = 64;

/** Reads statuses with GET requests over keep-alive connections. */
export class HttpStatusProvider implements StatusProvider {
  private readonly http: StatusHttpClient;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: HttpStatusProviderOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_STATUS_BODY_BYTES;
    this.http = new StatusHttpClient({ connectionsPerHost: options.connectionsPerHost ?? DEFAULT_CONNECTIONS_PER_HOST, maxBodyBytes: this.maxBodyBytes });
  }

  async read(context: MonitorContext, span?: SpanHandle): Promise<StatusReading> {
    if (context.status.kind !== 'http') throw new Error('HttpStatusProvider given a non-http monitor');
    const url = statusRequestUrl(context.status.url, jobIdOf(context));
    const where = describeUrl(url);
    const response = await this.http.send({ method: 'GET', url, timeoutMs: this.options.timeoutMs, where, parent: span });
    if (!response.ok) return response;
    return interpretResponse(response.statusCode, response.retryAfter, response.bytes, this.maxBodyBytes, context.statusField, where);
  }

  async close(): Promise<void> {
    await this.http.close();
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
