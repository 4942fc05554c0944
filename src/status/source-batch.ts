import { jobIdOf, type MonitorContext } from '../monitor/context.ts';
import { isOpenTo } from '../sources/check-monitor-source.ts';
import { namespaceOf } from '../monitor/namespace.ts';
import { describeUrl } from '../monitor/describe-url.ts';
import type { StatusAnswer } from '../monitor/gate/hold.ts';
import { rateKeyOf } from '../monitor/gate/rate-key.ts';
import type { StatusReading } from '../monitor/reading.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import type { SpanHandle } from '../monitor/span-handle.ts';
import { answerFromBytes, bodyObject, failureOfStatusCode } from '../sources/http-answer.ts';
import { readSourceAnswer } from '../sources/read-answer.ts';
import { toStatusReading, type SourceReading } from '../sources/source-reading.ts';
import { sourceNamed, type Source, type Sources } from '../sources/sources-file.ts';
import { expandUrlTemplate } from '../sources/url-template.ts';
import { BatchCoalescer, type BatchLimits, type BatchOutcome } from './batch-coalescer.ts';
import { batchBodyLimit, MAX_BATCH_BODY_BYTES } from './batch-http-provider.ts';
import { SourceClients } from './source-clients.ts';
import type { SecretEnv } from './source-credentials.ts';
import type { RequestGate } from '../monitor/gate/request-gate.ts';

/** What one POST of a batch source found: the request as a whole, and each job's reading. */
export interface SourceBatchAnswer {
  overall: StatusReading;
  readingOf(jobId: string): SourceReading;
}

/**
 * One request of a batch source (`"batch": URL`): `POST {"ids": [...]}` to its URL expanded with the
 * monitors' params, with its credentials; the answer is a JSON object with each job's status body
 * under its id, each read by the source's mapping. A non-2xx (a 404 too: the batch URL is unknown,
 * not a job) or a body that is not an object fails every job; an id left out is `not-found`.
 */
export async function fetchSourceBatch(
  clients: SourceClients, source: Source, url: string, jobIds: readonly string[], timeoutMs: number,
  /** With tracing on, the span the request is made for (a poll's). */
  parent?: SpanHandle,
): Promise<SourceBatchAnswer> {
  const where = `POST ${describeUrl(url)}`;
  const decidedBy = { source: source.name };
  const failed = (reading: StatusReading & { ok: false }): SourceBatchAnswer => ({ overall: reading, readingOf: () => ({ ...reading, decidedBy }) });
  const response = await clients.send(source, { method: 'POST', url, json: JSON.stringify({ ids: jobIds }), timeoutMs, where, parent });
  if (!response.ok) return failed(response);
  const answer = answerFromBytes({ statusCode: response.statusCode, headers: response.headers, where, url, receivedAt: Date.now() }, response.bytes, batchBodyLimit(jobIds.length));
  const failure = answer.statusCode === 404 ? { reason: 'http-status' as const, httpStatus: 404, message: `${where} answered 404` } : failureOfStatusCode(answer);
  if (failure) return failed({ ok: false, failure });
  const parsed = bodyObject(answer);
  if (!parsed.ok) return failed(parsed);
  const members = parsed.body;
  return {
    overall: { ok: true, status: 'answered', body: null, httpStatus: answer.statusCode },
    readingOf(jobId) {
      if (!Object.hasOwn(members, jobId)) {
        return { ok: false, failure: { reason: 'not-found', httpStatus: answer.statusCode, message: `${where} answered without job ${JSON.stringify(jobId)}: the job is unknown` }, decidedBy };
      }
      return readSourceAnswer(source.reader, { ...answer, where: `${where} (job ${JSON.stringify(jobId)})`, body: { kind: 'json', value: members[jobId] } }, source.name);
    },
  };
}

export interface SourceBatchStatusProviderOptions extends BatchLimits {
  sources: Sources | undefined;
  timeoutMs: number;
  env: SecretEnv;
  gate?: RequestGate | undefined;
}

/**
 * Reads the monitors of batch sources: those of one source, URL and rate key due together in this
 * process are asked for in one request, admitted by the gate once, as batch status URLs are.
 */
export class SourceBatchStatusProvider implements StatusProvider {
  private readonly clients: SourceClients;
  private readonly coalescer: BatchCoalescer;

  constructor(private readonly options: SourceBatchStatusProviderOptions) {
    this.clients = new SourceClients(options.env, MAX_BATCH_BODY_BYTES);
    this.coalescer = new BatchCoalescer({ ...options, fetch: (jobIds, members, parent) => this.fetch(jobIds, members, parent), rateKeyOf: (first) => rateKeyOf(first) });
  }

  /** Whether a monitor names a batch source of this worker's file. */
  handles(context: MonitorContext): boolean {
    return this.batchOf(context) !== undefined;
  }

  read(context: MonitorContext, span?: SpanHandle): Promise<StatusAnswer> {
    const batch = this.batchOf(context);
    if (!batch) throw new Error('SourceBatchStatusProvider given a monitor that names no batch source');
    return this.coalescer.read(`${batch.source.name}\n${batch.url}\n${context.rateKey ?? ''}`, context, span);
  }

  async close(): Promise<void> {
    await this.coalescer.close();
    await this.clients.close();
  }

  private async fetch(jobIds: readonly string[], members: readonly MonitorContext[], parent: SpanHandle | undefined): Promise<BatchOutcome> {
    const { source, url } = this.batchOf(members[0]!)!;
    const answer = await fetchSourceBatch(this.clients, source, url, jobIds, this.options.timeoutMs, parent);
    return { overall: answer.overall, readingOf: (member) => toStatusReading(answer.readingOf(jobIdOf(member))) };
  }

  /** The batch source a monitor names and its URL for the monitor's params (checked at start; the job id is in the body). */
  private batchOf(context: MonitorContext): { source: Source; url: string } | undefined {
    if (context.status.kind !== 'source' || !this.options.sources) return undefined;
    const source = sourceNamed(this.options.sources, context.status.name);
    // An operation's first step is its start request, which the single provider sends.
    if (source?.target.kind !== 'batch' || context.jobId === null) return undefined;
    // No longer open to the monitor's namespace: the single provider fails it as `unknown-source`.
    if (!isOpenTo(source, namespaceOf(context))) return undefined;
    try {
      return { source, url: expandUrlTemplate(source.target.template, jobIdOf(context), context.status.params) };
    } catch {
      // The params no longer fit the file: the single provider says so as `unknown-source`.
      return undefined;
    }
  }
}
