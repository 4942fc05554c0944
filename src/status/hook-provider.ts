import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { coerceError, StatusHookError } from '../errors/errors.ts';
import { jobIdOf, type MonitorContext } from '../monitor/context.ts';
import type { RequestGate } from '../monitor/gate/request-gate.ts';
import { answerWithin } from '../time/with-timeout.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import type { StatusReading } from '../monitor/reading.ts';
import { hookFailure, readHookAnswer } from './hook-answer.ts';
import type { BatchLimits } from './batch-coalescer.ts';
import { HookBatchStatusProvider, type GetJobStatuses } from './hook-batch-provider.ts';
import { DEFAULT_HOOK_RATE_KEY, rateKeyProblem } from '../monitor/gate/rate-key.ts';

/**
 * A status hook reads a job's status from code rather than a URL (an SDK, a database, a queue).
 * It returns the status string, or an object that holds it at the monitor's status field.
 */
export type GetJobStatus = (jobId: string, context: Readonly<MonitorContext>) => unknown;

/** How a hook module's batches are gathered and gated, when it exports `getJobStatuses`. */
export interface HookBatchOptions extends BatchLimits {
  gate?: RequestGate | undefined;
}

/** Calls a user's `getJobStatus` function, with the same timeout and failure rules as HTTP. */
export class HookStatusProvider implements StatusProvider {
  constructor(
    private readonly getJobStatus: GetJobStatus,
    private readonly timeoutMs: number,
    /** The rate key of hook monitors that name none: the module's `rateKey` export, or `hook`. */
    readonly rateKey: string = DEFAULT_HOOK_RATE_KEY,
  ) {}

  /**
   * Loads a module that exports `getJobStatus`, or `getJobStatuses` (used instead for every hook
   * monitor, in batches), resolved from the working directory, and optionally `rateKey`: the key its
   * monitors that name none are rate-limited, held and circuit-broken under.
   */
  static async load(modulePath: string, timeoutMs: number, batch: HookBatchOptions): Promise<HookStatusProvider | HookBatchStatusProvider> {
    let loaded: Record<string, unknown>;
    try {
      loaded = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, unknown>;
    } catch (error) {
      throw new StatusHookError(`JOBWATCH_STATUS_HOOK: cannot load ${modulePath}: ${coerceError(error).message}`);
    }
    const exported = (name: string) => loaded[name] ?? (loaded.default as Record<string, unknown> | undefined)?.[name];
    const rateKey = exported('rateKey');
    if (rateKey !== undefined) {
      const problem = typeof rateKey === 'string' ? rateKeyProblem(rateKey) : 'must be a string';
      if (problem) throw new StatusHookError(`JOBWATCH_STATUS_HOOK: the rateKey export of ${modulePath} ${problem}`);
    }
    const many = exported('getJobStatuses');
    if (typeof many === 'function') return new HookBatchStatusProvider(many as GetJobStatuses, { ...batch, timeoutMs }, (rateKey as string | undefined) ?? DEFAULT_HOOK_RATE_KEY);
    const hook = exported('getJobStatus');
    if (typeof hook !== 'function') {
      throw new StatusHookError(`JOBWATCH_STATUS_HOOK: ${modulePath} exports neither getJobStatus(jobId, context) nor getJobStatuses(jobIds)`);
    }
    return new HookStatusProvider(hook as GetJobStatus, timeoutMs, (rateKey as string | undefined) ?? DEFAULT_HOOK_RATE_KEY);
  }

  async read(context: MonitorContext): Promise<StatusReading> {
    let answer: unknown;
    try {
      answer = await answerWithin(this.getJobStatus(jobIdOf(context), context), this.timeoutMs, 'getJobStatus');
    } catch (error) {
      return hookFailure(error, 'getJobStatus');
    }
    return readHookAnswer(answer, context.statusField, 'getJobStatus returned');
  }

  async close(): Promise<void> {}
}
