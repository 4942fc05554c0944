import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { coerceError, StatusHookError } from '../errors/errors.ts';
import type { MonitorContext } from '../monitor/context.ts';
import { TimedOutError, withTimeout } from '../time/with-timeout.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import { readStatus } from './read-field.ts';
import type { StatusReading } from '../monitor/reading.ts';

/**
 * A status hook reads a job's status from code rather than a URL (an SDK, a database, a queue).
 * It returns the status string, or an object that holds it at the monitor's status field.
 */
export type GetJobStatus = (jobId: string, context: Readonly<MonitorContext>) => unknown;

/** Calls a user's `getJobStatus` function, with the same timeout and failure rules as HTTP. */
export class HookStatusProvider implements StatusProvider {
  constructor(
    private readonly getJobStatus: GetJobStatus,
    private readonly timeoutMs: number,
  ) {}

  /** Loads a module that exports `getJobStatus`, resolved from the working directory. */
  static async load(modulePath: string, timeoutMs: number): Promise<HookStatusProvider> {
    let loaded: Record<string, unknown>;
    try {
      loaded = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, unknown>;
    } catch (error) {
      throw new StatusHookError(`JOBWATCH_STATUS_HOOK: cannot load ${modulePath}: ${coerceError(error).message}`);
    }
    const hook = loaded.getJobStatus ?? (loaded.default as Record<string, unknown> | undefined)?.getJobStatus;
    if (typeof hook !== 'function') {
      throw new StatusHookError(`JOBWATCH_STATUS_HOOK: ${modulePath} does not export a getJobStatus(jobId, context) function`);
    }
    return new HookStatusProvider(hook as GetJobStatus, timeoutMs);
  }

  async read(context: MonitorContext): Promise<StatusReading> {
    let answer: unknown;
    try {
      answer = await withTimeout(Promise.resolve(this.getJobStatus(context.jobId, context)), this.timeoutMs, 'getJobStatus');
    } catch (error) {
      if (error instanceof TimedOutError) return { ok: false, failure: { reason: 'timeout', message: error.message } };
      return { ok: false, failure: { reason: 'hook-error', message: `getJobStatus threw: ${coerceError(error).message}` } };
    }
    try {
      const status = typeof answer === 'string' ? readStatus({ status: answer }, 'status') : readStatus(answer, context.statusField);
      if (status === undefined) {
        return { ok: false, failure: { reason: 'missing-field', message: `getJobStatus returned no status string at "${context.statusField}"` } };
      }
      return { ok: true, status, body: typeof answer === 'string' ? { status: answer } : answer };
    } catch (error) {
      // Reading the answer runs the hook's getters, which may throw too.
      return { ok: false, failure: { reason: 'hook-error', message: `getJobStatus returned an unreadable answer: ${coerceError(error).message}` } };
    }
  }

  async close(): Promise<void> {}
}
