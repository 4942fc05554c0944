import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { coerceError } from '../errors/errors.ts';
import { toBoundedJson } from '../json/bounded-json.ts';
import { MAX_STATUS_BODY_BYTES } from '../monitor/input-limits.ts';
import type { StatusReading } from '../monitor/reading.ts';
import type { HttpAnswer } from '../sources/http-answer.ts';
import type { Source } from '../sources/sources-file.ts';
import { answerWithin } from '../time/with-timeout.ts';
import { hookFailure } from './hook-answer.ts';

/**
 * A hook source (`"hook": "./hooks/render.mjs"`): a module, one per source, whose
 * `getJobStatus(jobId, { source, params })` makes its own requests and returns the job's status
 * body (a string is read as `{ "status": string }`). The body is read by the source's mapping, as
 * a 200 answer of a URL source would be.
 */
export type SourceHook = (jobId: string, context: { source: string; params: Readonly<Record<string, string>> }) => unknown;

/** Loads a hook source's module, resolved from the working directory; a failure is the check's. */
export async function loadSourceHook(source: Source, module: string): Promise<{ ok: true; hook: SourceHook } | { ok: false; failure: StatusReading & { ok: false } }> {
  try {
    const loaded = (await import(pathToFileURL(resolve(module)).href)) as Record<string, unknown>;
    const hook = loaded.getJobStatus ?? (loaded.default as Record<string, unknown> | undefined)?.getJobStatus;
    if (typeof hook === 'function') return { ok: true, hook: hook as SourceHook };
    return { ok: false, failure: { ok: false, failure: { reason: 'hook-error', message: `source "${source.name}": ${module} exports no getJobStatus(jobId, context)` } } };
  } catch (error) {
    return { ok: false, failure: { ok: false, failure: { reason: 'hook-error', message: `source "${source.name}": cannot load ${module}: ${coerceError(error).message}` } } };
  }
}

/** Calls a hook source for one job: its answer as a 200 JSON answer, or the failed check. */
export async function callSourceHook(
  hook: SourceHook, source: Source, module: string, jobId: string, params: Readonly<Record<string, string>>, timeoutMs: number,
): Promise<{ ok: true; answer: HttpAnswer } | (StatusReading & { ok: false })> {
  let value: unknown;
  try {
    value = await answerWithin(hook(jobId, { source: source.name, params }), timeoutMs, 'getJobStatus');
  } catch (error) {
    return hookFailure(error, `source "${source.name}": getJobStatus`);
  }
  const where = `hook ${module}`;
  // Read as a status body is: a plain JSON copy, bounded; a cycle or a BigInt is a bad body.
  const json = toBoundedJson(typeof value === 'string' ? { status: value } : value, { maxBytes: MAX_STATUS_BODY_BYTES });
  if (!json.ok) return { ok: false, failure: { reason: 'bad-body', message: `${where} returned an answer that ${json.reason}` } };
  return { ok: true, answer: { statusCode: 200, headers: {}, body: { kind: 'json', value: json.value }, where } };
}
