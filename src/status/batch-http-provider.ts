import { jobIdOf, type MonitorContext } from '../monitor/context.ts';
import { describeUrl } from '../monitor/describe-url.ts';
import type { StatusAnswer } from '../monitor/gate/hold.ts';
import type { RequestGate } from '../monitor/gate/request-gate.ts';
import type { StatusReading } from '../monitor/reading.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import type { SpanHandle } from '../monitor/span-handle.ts';
import { MAX_STATUS_BODY_BYTES } from '../monitor/input-limits.ts';
import { readJson } from '../json/bounded-json.ts';
import { BatchCoalescer, failedBatch, type BatchLimits, type BatchOutcome } from './batch-coalescer.ts';
import { rateKeyOf } from '../monitor/gate/rate-key.ts';
import { DEFAULT_CONNECTIONS_PER_HOST } from './http-provider.ts';
import { parseRetryAfter } from '../time/retry-after.ts';
import { readStatus } from './read-field.ts';
import { StatusHttpClient } from './status-request.ts';

/**
 * Largest batch answer read, whatever the batch's size: a batch of n ids may answer up to n times
 * the single-status limit, up to this.
 */
export const MAX_BATCH_BODY_BYTES = 16 * 1024 * 1024;

export interface BatchHttpStatusProviderOptions extends BatchLimits {
  /** Longest a batch request may take, connect to last byte. */
  timeoutMs: number;
  gate?: RequestGate | undefined;
}

/**
 * Reads statuses from batch status URLs: the monitors of one URL (and rate key) due together in
 * this process are asked for in one `POST {"ids": [...]}`, whose JSON object answer holds each
 * job's status body under its id.
 */
export class BatchHttpStatusProvider implements StatusProvider {
  private readonly http: StatusHttpClient;
  private readonly coalescer: BatchCoalescer;

  constructor(private readonly options: BatchHttpStatusProviderOptions) {
    this.http = new StatusHttpClient({ connectionsPerHost: DEFAULT_CONNECTIONS_PER_HOST, maxBodyBytes: MAX_BATCH_BODY_BYTES });
    this.coalescer = new BatchCoalescer({ ...options, fetch: (jobIds, members, parent) => this.fetch(jobIds, members, parent), rateKeyOf: (first) => rateKeyOf(first) });
  }

  read(context: MonitorContext, span?: SpanHandle): Promise<StatusAnswer> {
    if (context.status.kind !== 'batch') throw new Error('BatchHttpStatusProvider given a non-batch monitor');
    // Members of one batch share the URL and the rate key, so that the batch is admitted under the key of each.
    return this.coalescer.read(`${context.status.url}\n${context.rateKey ?? ''}`, context, span);
  }

  private async fetch(jobIds: readonly string[], members: readonly MonitorContext[], parent: SpanHandle | undefined): Promise<BatchOutcome> {
    const { url } = members[0]!.status as { url: string };
    const where = describeUrl(url);
    const response = await this.http.send({
      method: 'POST', url, json: JSON.stringify({ ids: jobIds }), timeoutMs: this.options.timeoutMs, where, parent,
    });
    if (!response.ok) return failedBatch(response);
    return interpretBatchResponse(response.statusCode, response.retryAfter, response.bytes, batchBodyLimit(jobIds.length), where);
  }

  async close(): Promise<void> {
    await this.coalescer.close();
    await this.http.close();
  }
}

/** The largest answer read for a batch of `ids` job ids. */
export function batchBodyLimit(ids: number): number {
  return Math.min(MAX_BATCH_BODY_BYTES, ids * MAX_STATUS_BODY_BYTES);
}

/**
 * What a batch answer means. Any non-2xx (a 404 too: it is the batch URL that is unknown, not a
 * job), or a body that is not a JSON object, is a failed check for every member, with the answer's
 * Retry-After. Otherwise each member reads its job's value as a single status body is read, at its
 * own status field; a job id the answer leaves out is `not-found` for that member alone. @internal
 */
export function interpretBatchResponse(
  statusCode: number,
  retryAfter: string | string[] | undefined,
  bytes: Uint8Array,
  maxBodyBytes: number,
  where: string,
): BatchOutcome {
  const wait = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  if (statusCode < 200 || statusCode >= 300) {
    return failedBatch({
      ok: false,
      failure: { reason: 'http-status', httpStatus: statusCode, message: `POST ${where} answered ${statusCode}`, ...(wait === undefined ? {} : { retryAfterMs: wait }) },
    });
  }
  const json = readJson(bytes, { maxBytes: maxBodyBytes });
  if (!json.ok) return failedBatch({ ok: false, failure: { reason: 'bad-body', httpStatus: statusCode, message: `POST ${where} returned a body that ${json.reason}` } });
  const answer = json.value;
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
    return failedBatch({ ok: false, failure: { reason: 'bad-body', httpStatus: statusCode, message: `POST ${where} returned JSON that is not an object keyed by job id` } });
  }
  const members = answer as Record<string, unknown>;
  return {
    overall: { ok: true, status: 'answered', body: null, httpStatus: statusCode },
    readingOf(member): StatusReading {
      const jobId = jobIdOf(member);
      if (!Object.hasOwn(members, jobId)) {
        return { ok: false, failure: { reason: 'not-found', httpStatus: statusCode, message: `POST ${where} answered without job ${JSON.stringify(jobId)}: the job is unknown` } };
      }
      const body = members[jobId];
      const status = readStatus(body, member.statusField);
      if (status === undefined) {
        return { ok: false, failure: { reason: 'missing-field', httpStatus: statusCode, message: `POST ${where} answered job ${JSON.stringify(member.jobId)} with no status string at "${member.statusField}"` } };
      }
      // A Retry-After on a 2xx says when to ask again, as for a single status: used only while running.
      return { ok: true, status, body, httpStatus: statusCode, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
    },
  };
}
