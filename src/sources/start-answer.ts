import type { StatusCheckFailure } from '../monitor/reading.ts';
import type { StartOutcome } from '../monitor/operation.ts';
import { truncateDetail } from '../monitor/decide.ts';
import { MAX_STATUS_URL_LENGTH } from '../monitor/input-limits.ts';
import { readPath } from './field-path.ts';
import { failureOfStatusCode, headerOf, retryAfterOf, type HttpAnswer } from './http-answer.ts';
import type { Source } from './sources-file.ts';

/**
 * The headers a long-running-operation API names the operation to watch in, in the order they are
 * looked for: Azure's `Operation-Location` and `Azure-AsyncOperation`, then the HTTP `Location`.
 */
export const WATCH_HEADERS = ['operation-location', 'azure-asyncoperation', 'location'] as const;

/** Longest job id read from a start answer's body. */
const MAX_JOB_ID_LENGTH = 256;

/**
 * Reads the answer to an operation's start request. Pure. The answer is read in this order:
 * 1. a 202, 200 or 201 with a Location-style header: watch that URL, if its origin is the start
 *    URL's or one the source allows (anything else fails the operation; it is never requested);
 * 2. with `start.jobIdPath`: the job id in the body, polled at the source's URL (none there fails it);
 * 3. a 200, 201 or 204 with nothing to watch: the job finished at once, with the body as its output.
 * A 4xx (but 408 and 429) fails the operation. A 5xx, 408 or 429 is a failed check (retried, with the same key).
 */
export function readStartAnswer(source: Source, answer: HttpAnswer, startUrl: string): StartOutcome | StatusCheckFailure {
  const status = answer.statusCode;
  if (status >= 500 || status === 408 || status === 429) return failureOfStatusCode(answer)!;
  const body = answer.body.kind === 'json' ? answer.body.value : null;
  if (status < 200 || status >= 300) {
    return refused(status, `the start request was refused: ${answer.where} answered ${status}`, body);
  }
  const header = status === 204 ? undefined : WATCH_HEADERS.map((name) => headerOf(answer, name)).find((value) => value !== undefined && value !== '');
  const wait = retryAfterOf(answer);
  const after = wait === undefined ? {} : { retryAfterMs: wait };
  if (header !== undefined) {
    // Kept in the context and the record: bounded as a monitor's status URL is.
    if (header.length > MAX_STATUS_URL_LENGTH) return refused(status, `the start answer names a URL of ${header.length} characters to watch; at most ${MAX_STATUS_URL_LENGTH} are taken`, body);
    const url = resolve(header, startUrl);
    if (url === undefined) return refused(status, `the start answer names ${JSON.stringify(header.slice(0, 200))} to watch, which is not a URL`, body);
    if (!mayWatch(source, url, startUrl)) {
      return refused(status, `the start answer points at ${url.origin}, which is neither the start URL's origin nor in the source's allowedOrigins; nothing was sent there`, body);
    }
    return { kind: 'watch', status, url: url.href, ...after };
  }
  const path = source.start?.jobIdPath;
  if (path !== undefined) {
    const jobId = jobIdAt(body, path);
    if (jobId === undefined) return refused(status, `the start answer has no job id at ${path.text}`, body);
    return { kind: 'watch-job', status, jobId, ...after };
  }
  if (status === 202) {
    return refused(status, 'the start answer is 202 Accepted with nothing to watch: no Operation-Location, Azure-AsyncOperation or Location header, and the source declares no start.jobIdPath', body);
  }
  return { kind: 'done', status, output: truncateDetail(body) };
}

/** Whether a watched URL may be requested with the source's credentials: the start URL's origin, or one the source lists. */
export function mayWatch(source: Source, url: URL, startUrl: string): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return url.origin === new URL(startUrl).origin || source.allowedOrigins.includes(url.origin);
}

function resolve(location: string, base: string): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

function jobIdAt(body: unknown, path: NonNullable<NonNullable<Source['start']>['jobIdPath']>): string | undefined {
  const value = readPath(body, path);
  const id = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value : undefined;
  return id !== undefined && id.length > 0 && id.length <= MAX_JOB_ID_LENGTH && !/[\u0000-\u001f\u007f]/.test(id) ? id : undefined;
}

function refused(status: number, reason: string, body: unknown): StartOutcome {
  return { kind: 'refused', status, reason, body: truncateDetail(body) };
}
