import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { coerceError, StatusHookError } from '../errors/errors.ts';
import type { MonitorContext } from '../monitor/context.ts';
import { TimedOutError, withTimeout } from '../time/with-timeout.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import { readStatus } from './read-field.ts';
import type { StatusReading } from '../monitor/reading.ts';
import { MAX_STATUS_BODY_BYTES } from '../monitor/limits.ts';
import { toBoundedJson } from '../json/bounded-json.ts';
import { DEFAULT_HOOK_RATE_KEY, rateKeyProblem } from '../monitor/rate-key.ts';

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
    /** The rate key of hook monitors that name none: the module's `rateKey` export, or `hook`. */
    readonly rateKey: string = DEFAULT_HOOK_RATE_KEY,
  ) {}

  /**
   * Loads a module that exports `getJobStatus`, resolved from the working directory, and optionally
   * `rateKey`, the key its monitors are rate-limited, held and circuit-broken under.
   */
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
    const rateKey = loaded.rateKey ?? (loaded.default as Record<string, unknown> | undefined)?.rateKey;
    if (rateKey !== undefined) {
      const problem = typeof rateKey === 'string' ? rateKeyProblem(rateKey) : 'must be a string';
      if (problem) throw new StatusHookError(`JOBWATCH_STATUS_HOOK: the rateKey export of ${modulePath} ${problem}`);
    }
    return new HookStatusProvider(hook as GetJobStatus, timeoutMs, (rateKey as string | undefined) ?? DEFAULT_HOOK_RATE_KEY);
  }

  async read(context: MonitorContext): Promise<StatusReading> {
    let answer: unknown;
    try {
      answer = await withTimeout(Promise.resolve(this.getJobStatus(context.jobId, context)), this.timeoutMs, 'getJobStatus');
    } catch (error) {
      if (error instanceof TimedOutError) return { ok: false, failure: { reason: 'timeout', message: error.message } };
      return { ok: false, failure: { reason: 'hook-error', message: `getJobStatus threw: ${coerceError(error).message}` } };
    }
    // Read as a status body is: a plain JSON copy, bounded in size and depth. Its getters run
    // once, here, and a cycle or a BigInt is a bad body rather than a throw later on.
    const json = toBoundedJson(typeof answer === 'string' ? { status: answer } : answer, { maxBytes: MAX_STATUS_BODY_BYTES });
    if (!json.ok) return { ok: false, failure: { reason: 'bad-body', message: `getJobStatus returned an answer that ${json.reason}` } };
    const status = typeof answer === 'string' ? readStatus(json.value, 'status') : readStatus(json.value, context.statusField);
    if (status === undefined) {
      return { ok: false, failure: { reason: 'missing-field', message: `getJobStatus returned no status string at "${context.statusField}"` } };
    }
    return { ok: true, status, body: json.value };
  }

  async close(): Promise<void> {}
}
