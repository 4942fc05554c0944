import { coerceError } from '../errors/errors.ts';
import { jobIdOf, type MonitorContext } from '../monitor/context.ts';
import type { StatusAnswer } from '../monitor/gate/hold.ts';
import type { RequestGate } from '../monitor/gate/request-gate.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import type { SpanHandle } from '../monitor/span-handle.ts';
import { answerWithin } from '../time/with-timeout.ts';
import { BatchCoalescer, failedBatch, type BatchLimits, type BatchOutcome } from './batch-coalescer.ts';
import { DEFAULT_HOOK_RATE_KEY, rateKeyOf } from '../monitor/gate/rate-key.ts';
import { hookFailure, readHookAnswer } from './hook-answer.ts';

/**
 * A status hook for many jobs at once: a map (a plain object or a Map) from job id to what
 * `getJobStatus` would answer for it. A job id it leaves out is unknown to the job service.
 */
export type GetJobStatuses = (jobIds: string[]) => unknown;

/** Calls a user's `getJobStatuses` for the hook monitors due together, as the batch URLs are read. */
export class HookBatchStatusProvider implements StatusProvider {
  private readonly coalescer: BatchCoalescer;

  constructor(
    private readonly getJobStatuses: GetJobStatuses,
    private readonly options: BatchLimits & { timeoutMs: number; gate?: RequestGate | undefined },
    /** The rate key of hook monitors that name none: the module's `rateKey` export, or `hook`. */
    readonly rateKey: string = DEFAULT_HOOK_RATE_KEY,
  ) {
    this.coalescer = new BatchCoalescer({ ...options, fetch: (jobIds) => this.fetch(jobIds), rateKeyOf: (first) => rateKeyOf(first, this.rateKey) });
  }

  read(context: MonitorContext, span?: SpanHandle): Promise<StatusAnswer> {
    return this.coalescer.read(context.rateKey ?? '', context, span);
  }

  private async fetch(jobIds: readonly string[]): Promise<BatchOutcome> {
    let answer: unknown;
    try {
      // A copy: the user's function may keep or change its argument.
      answer = await answerWithin(this.getJobStatuses([...jobIds]), this.options.timeoutMs, 'getJobStatuses');
    } catch (error) {
      return failedBatch(hookFailure(error, 'getJobStatuses'));
    }
    const valueOf = lookup(answer);
    if (!valueOf) {
      return failedBatch({ ok: false, failure: { reason: 'bad-body', message: 'getJobStatuses returned something other than an object or a Map keyed by job id' } });
    }
    return {
      overall: { ok: true, status: 'answered', body: null },
      readingOf(member) {
        let found: { value: unknown } | undefined;
        try {
          found = valueOf(jobIdOf(member));
        } catch (error) {
          return { ok: false, failure: { reason: 'bad-body', message: `getJobStatuses returned an answer that could not be read: ${coerceError(error).message}` } };
        }
        if (!found) return { ok: false, failure: { reason: 'not-found', message: `getJobStatuses answered without job ${JSON.stringify(member.jobId)}: the job is unknown` } };
        return readHookAnswer(found.value, member.statusField, `getJobStatuses returned for job ${JSON.stringify(member.jobId)}`);
      },
    };
  }

  async close(): Promise<void> {
    await this.coalescer.close();
  }
}

/** How to find a job's value in the hook's answer, or undefined when it is neither an object nor a Map. */
function lookup(answer: unknown): ((jobId: string) => { value: unknown } | undefined) | undefined {
  if (answer instanceof Map) return (jobId) => (answer.has(jobId) ? { value: answer.get(jobId) } : undefined);
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) return undefined;
  const record = answer as Record<string, unknown>;
  return (jobId) => (Object.hasOwn(record, jobId) ? { value: record[jobId] } : undefined);
}
