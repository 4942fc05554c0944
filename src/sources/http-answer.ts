import { readJson } from '../json/bounded-json.ts';
import { MAX_STATUS_BODY_BYTES } from '../monitor/input-limits.ts';
import type { StatusCheckFailure } from '../monitor/reading.ts';
import { parseRetryAfter } from '../time/retry-after.ts';
import { statusText } from './field-path.ts';

/**
 * One answer of a job service, as the conventions and mappings read it: the status code, the
 * headers and the body already read as bounded JSON. The HTTP provider builds it with
 * `answerFromBytes`; tests build it by hand.
 */
export interface HttpAnswer {
  statusCode: number;
  /** Header names in lower case, as node and undici give them. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  body: AnswerBody;
  /** The request for messages, without credentials or query: `GET https://ops.example.com/v1/operations/7`. */
  where: string;
  /** The URL asked, to resolve a relative `Location` against. */
  url?: string;
  /** When the answer came (epoch ms), for a Retry-After given as a date. @defaultValue the clock at reading */
  receivedAt?: number;
}

export type AnswerBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'empty' }
  /** Bytes that are not JSON (or too large, too deep, not UTF-8): `reason` says which. */
  | { kind: 'invalid'; reason: string };

/** Reads the body bytes of an answer as JSON, bounded as every status body is. */
export function answerFromBytes(
  answer: Omit<HttpAnswer, 'body'>,
  bytes: Uint8Array,
  maxBytes: number = MAX_STATUS_BODY_BYTES,
): HttpAnswer {
  if (bytes.byteLength === 0) return { ...answer, body: { kind: 'empty' } };
  const json = readJson(bytes, { maxBytes });
  return { ...answer, body: json.ok ? { kind: 'json', value: json.value } : { kind: 'invalid', reason: json.reason } };
}

/** A header's first value, or undefined. */
export function headerOf(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name.toLowerCase()];
  return typeof value === 'string' ? value : value?.[0];
}

/** The answer's Retry-After, in ms from when it came. */
export function retryAfterOf(answer: HttpAnswer): number | undefined {
  return parseRetryAfter(headerOf(answer, 'retry-after'), answer.receivedAt ?? Date.now());
}

/**
 * What a non-2xx answer means for every source, as for plain status URLs: 404 is `not-found`,
 * anything else a failed check (`http-status`) that keeps the service's Retry-After. Undefined for
 * a 2xx, which each convention reads in its own way.
 */
export function failureOfStatusCode(answer: HttpAnswer): StatusCheckFailure | undefined {
  const code = answer.statusCode;
  if (code >= 200 && code < 300) return undefined;
  if (code === 404) return { reason: 'not-found', httpStatus: 404, message: `${answer.where} answered 404: the job is unknown` };
  const hint = code === 401 || code === 403 ? ': check the source\'s credentials' : '';
  const failure: StatusCheckFailure = { reason: 'http-status', httpStatus: code, message: `${answer.where} answered ${code}${hint}` };
  const wait = retryAfterOf(answer);
  if (wait !== undefined) failure.retryAfterMs = wait;
  return failure;
}

/** The JSON object of a 2xx answer, or the failed check that says why there is none. */
export function bodyObject(answer: HttpAnswer): BodyRead {
  const { body } = answer;
  if (body.kind === 'json' && body.value !== null && typeof body.value === 'object' && !Array.isArray(body.value)) {
    return { ok: true, body: body.value as Record<string, unknown> };
  }
  const what = body.kind === 'invalid' ? `a body that ${body.reason}` : body.kind === 'empty' ? 'no body' : 'JSON that is not an object';
  return { ok: false, failure: { reason: 'bad-body', httpStatus: answer.statusCode, message: `${answer.where} returned ${what}` } };
}

type BodyRead = { ok: true; body: Record<string, unknown> } | { ok: false; failure: StatusCheckFailure };

/** The JSON object of a 2xx answer; a non-2xx or a body that is not a JSON object is the failed check it means. */
export function successBody(answer: HttpAnswer): BodyRead {
  const failure = failureOfStatusCode(answer);
  return failure ? { ok: false, failure } : bodyObject(answer);
}

/** As `successBody`, with the status string in the body's member `key`; none there is `missing-field`. */
export function successBodyWithStatus(answer: HttpAnswer, key: string): (BodyRead & { ok: false }) | { ok: true; body: Record<string, unknown>; status: string } {
  const read = successBody(answer);
  if (!read.ok) return read;
  const status = statusText(member(read.body, key));
  return status === undefined ? { ok: false, failure: missingField(answer, key) } : { ...read, status };
}

/** The failed check of a body with no usable value at `path`. */
export function missingField(answer: HttpAnswer, path: string): StatusCheckFailure {
  return { reason: 'missing-field', httpStatus: answer.statusCode, message: `${answer.where} returned JSON with no status at "${path}"` };
}

/** A member of an object body (own members only), or undefined. */
export function member(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
  return (value as Record<string, unknown>)[key];
}
