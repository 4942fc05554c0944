import type { MonitorContext } from '../monitor/context.ts';
import { describeUrl } from '../monitor/describe-url.ts';
import type { StatusReading } from '../monitor/reading.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import type { SpanHandle } from '../monitor/span-handle.ts';
import { SourceParamError } from '../sources/errors.ts';
import { answerFromBytes } from '../sources/http-answer.ts';
import { readSourceAnswer } from '../sources/read-answer.ts';
import { toStatusReading, type SourceReading } from '../sources/source-reading.ts';
import { sourceNamed, type Source, type Sources } from '../sources/sources-file.ts';
import { expandUrlTemplate, type UrlTemplate } from '../sources/url-template.ts';
import { mayWatch, readStartAnswer } from '../sources/start-answer.ts';
import type { OperationContext, StartOutcome } from '../monitor/operation.ts';
import { isOpenTo, unknownSourceProblem } from '../sources/check-monitor-source.ts';
import { namespaceOf } from '../monitor/namespace.ts';
import { fetchSourceBatch } from './source-batch.ts';
import { SourceClients } from './source-clients.ts';
import type { SecretEnv } from './source-credentials.ts';
import { callSourceHook, loadSourceHook, type SourceHook } from './source-hook.ts';

export interface SourceStatusProviderOptions {
  /** The worker's sources file (JOBWATCH_SOURCES); none: every source monitor's check fails as `unknown-source`. */
  sources: Sources | undefined;
  /** Longest a status call may take, connect to last byte. */
  timeoutMs: number;
  /** Where `{ "env": NAME }` credentials are looked up, at each request. */
  env: SecretEnv;
}

/**
 * Reads the status of monitors that name a source: the source's URL expanded for the job, its
 * credentials set (only ever on its own URL, whose host no param can change), and the answer read
 * by its convention or mapping, which decide the outcome. Redirects are never followed: a 302 is an
 * answer to read (http-202 keeps its Location), and the source's credentials never leave its origin.
 */
export class SourceStatusProvider implements StatusProvider {
  private readonly clients: SourceClients;
  private readonly hooks = new Map<string, Promise<Awaited<ReturnType<typeof loadSourceHook>>>>();

  constructor(private readonly options: SourceStatusProviderOptions) {
    this.clients = new SourceClients(options.env);
  }

  /** The source a monitor names, or undefined when this worker's sources file lacks it. */
  sourceOf(context: MonitorContext): Source | undefined {
    return context.status.kind === 'source' && this.options.sources ? sourceNamed(this.options.sources, context.status.name) : undefined;
  }

  async read(context: MonitorContext, span?: SpanHandle): Promise<StatusReading> {
    if (context.status.kind !== 'source') throw new Error('SourceStatusProvider given a monitor that names no source');
    const { name, params } = context.status;
    const source = this.sourceOf(context);
    if (!source) return unknownSource(name, `this worker cannot read the source "${name}": ${unknownSourceProblem(this.options.sources, name)}`);
    // Checked at start; the sources file has changed since. Its credentials are not lent to a namespace it no longer lists.
    if (!isOpenTo(source, namespaceOf(context))) return unknownSource(name, `the source "${name}" is no longer open to the namespace ${namespaceOf(context)}`);
    const { operation } = context;
    if (operation?.phase === 'starting') return this.start(source, params, operation, span);
    if (context.status.url !== undefined) return toStatusReading(await this.checkAt(source, context.status.url, params, span));
    if (context.jobId === null) return unknownSource(name, `the source "${name}" watches the URL its start answers, and this operation has none`);
    return toStatusReading(await this.check(source, context.jobId, params, span));
  }

  /**
   * An operation's first step: sends the source's start request with the operation's body and
   * idempotency key (the same at every try, so a service that honours it starts one job), and reads
   * what it answers. A connection error, a timeout, a 5xx or a 429 is a failed check, retried.
   */
  private async start(source: Source, params: Readonly<Record<string, string>>, operation: OperationContext, span: SpanHandle | undefined): Promise<StatusReading> {
    const { name, start } = source;
    if (!start) return unknownSource(name, `the source "${name}" no longer declares a start request`);
    let url: string;
    try {
      url = expandUrlTemplate(start.template, '', paramsOf(start.template, params));
    } catch (error) {
      if (error instanceof SourceParamError) return unknownSource(name, `source "${name}" no longer takes this operation's params: ${error.message}`);
      throw error;
    }
    const where = `${start.method} ${describeUrl(url)}`;
    const response = await this.clients.send(source, {
      method: start.method, url, timeoutMs: this.options.timeoutMs, where, parent: span,
      headers: { [start.idempotencyHeader]: operation.idempotencyKey },
      ...(operation.body === undefined ? {} : { json: JSON.stringify(operation.body) }),
    });
    if (!response.ok) return { ok: false, failure: response.failure };
    const answer = answerFromBytes({ statusCode: response.statusCode, headers: response.headers, where, url, receivedAt: Date.now() }, response.bytes);
    const started = readStartAnswer(source, answer, url);
    if (!('kind' in started)) return { ok: false, failure: started };
    return { ok: true, status: startedStatus(started), body: null, httpStatus: response.statusCode, started };
  }

  /**
   * A check of an operation at the URL its start answered. Its origin was allowed when the answer
   * was read; it is checked again, since the sources file may have changed: the source's
   * credentials only ever go to its own origins.
   */
  private async checkAt(source: Source, url: string, params: Readonly<Record<string, string>>, span: SpanHandle | undefined): Promise<SourceReading> {
    const startUrl = source.start ? expandUrlTemplate(source.start.template, '', paramsOf(source.start.template, params)) : undefined;
    if (startUrl === undefined || !mayWatch(source, new URL(url), startUrl)) {
      return unknownSource(source.name, `the source "${source.name}" no longer allows ${new URL(url).origin}, where this operation is watched`);
    }
    const where = `GET ${describeUrl(url)}`;
    const response = await this.clients.send(source, { method: 'GET', url, timeoutMs: this.options.timeoutMs, where, parent: span });
    if (!response.ok) return { ...response, decidedBy: { source: source.name } };
    const answer = answerFromBytes({ statusCode: response.statusCode, headers: response.headers, where, url, receivedAt: Date.now() }, response.bytes);
    return readSourceAnswer(source.reader, answer, source.name);
  }

  /**
   * One check of a source for a job, with what decided it: what a monitor's poll reads, and what
   * `jobwatch sources try` shows. Never throws: every failure is a reading. `span`: the poll's, with tracing on.
   */
  async check(source: Source, jobId: string, params: Readonly<Record<string, string>>, span?: SpanHandle): Promise<SourceReading> {
    const { name, target } = source;
    if (target.kind === 'hook') return this.readHook(source, target.module, jobId, params);
    if (target.kind === 'answered') return unknownSource(name, `the source "${name}" is watched at the URL its start request answers; start an operation of it`);
    let url: string;
    try {
      url = expandUrlTemplate(target.template, jobId, params);
    } catch (error) {
      // Checked at start; the sources file has changed since.
      if (error instanceof SourceParamError) return unknownSource(name, `source "${name}" no longer takes this monitor's params: ${error.message}`);
      throw error;
    }
    // A batch source's monitors are read in batches (SourceBatchStatusProvider); one job alone is a batch of one.
    if (target.kind === 'batch') return (await fetchSourceBatch(this.clients, source, url, [jobId], this.options.timeoutMs, span)).readingOf(jobId);
    const where = `${target.method} ${describeUrl(url)}`;
    const response = await this.clients.send(source, { method: target.method, url, timeoutMs: this.options.timeoutMs, where, parent: span });
    if (!response.ok) return { ...response, decidedBy: { source: name } };
    const answer = answerFromBytes({ statusCode: response.statusCode, headers: response.headers, where, url, receivedAt: Date.now() }, response.bytes);
    return readSourceAnswer(source.reader, answer, name);
  }

  async close(): Promise<void> {
    await this.clients.close();
  }

  private async readHook(source: Source, module: string, jobId: string, params: Readonly<Record<string, string>>): Promise<SourceReading> {
    const loading = this.hooks.get(source.name) ?? loadSourceHook(source, module);
    this.hooks.set(source.name, loading);
    const loaded = await loading;
    // A module that failed to load is tried again at the next check (it may be deployed by then).
    if (!loaded.ok) {
      this.hooks.delete(source.name);
      return { ...loaded.failure, decidedBy: { source: source.name } };
    }
    const called = await callSourceHook(loaded.hook as SourceHook, source, module, jobId, params, this.options.timeoutMs);
    return called.ok ? readSourceAnswer(source.reader, called.answer, source.name) : { ...called, decidedBy: { source: source.name } };
  }
}

/** The params of a template, from all an operation or monitor gives (its start URL may take only some). */
function paramsOf(template: UrlTemplate, params: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => template.params.includes(name)));
}

/** The status an operation's start check records (in its history and logs): what the answer meant. */
function startedStatus(started: StartOutcome): string {
  if (started.kind === 'watch' || started.kind === 'watch-job') return `Started (${started.status})`;
  if (started.kind === 'done') return `Done at start (${started.status})`;
  return `Start refused (${started.status})`;
}

function unknownSource(source: string, message: string): SourceReading & { ok: false } {
  return { ok: false, failure: { reason: 'unknown-source', message }, decidedBy: { source } };
}
