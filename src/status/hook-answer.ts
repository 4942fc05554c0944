import { coerceError } from '../errors/errors.ts';
import { toBoundedJson } from '../json/bounded-json.ts';
import { MAX_STATUS_BODY_BYTES } from '../monitor/input-limits.ts';
import type { StatusReading } from '../monitor/reading.ts';
import { TimedOutError } from '../time/with-timeout.ts';
import { readStatus } from './read-field.ts';

/** What status hooks answer, read as status bodies are: shared by `getJobStatus` and `getJobStatuses`. */

/** A hook call that threw or did not answer in time, as a failed check. */
export function hookFailure(error: unknown, what: string): StatusReading & { ok: false } {
  if (error instanceof TimedOutError) return { ok: false, failure: { reason: 'timeout', message: error.message } };
  return { ok: false, failure: { reason: 'hook-error', message: `${what} threw: ${coerceError(error).message}` } };
}

/**
 * One job's answer from a hook: a status string, or an object holding it at `statusField`.
 * `said` opens the messages, e.g. `getJobStatus returned`.
 */
export function readHookAnswer(answer: unknown, statusField: string, said: string): StatusReading {
  // Read as a status body is: a plain JSON copy, bounded in size and depth. Its getters run
  // once, here, and a cycle or a BigInt is a bad body rather than a throw later on. A short
  // status string (most hooks' every answer) is that copy already.
  const json = typeof answer === 'string' && fitsAsStatusBody(answer)
    ? { ok: true as const, value: { status: answer } }
    : toBoundedJson(typeof answer === 'string' ? { status: answer } : answer, { maxBytes: MAX_STATUS_BODY_BYTES });
  if (!json.ok) return { ok: false, failure: { reason: 'bad-body', message: `${said} an answer that ${json.reason}` } };
  const status = typeof answer === 'string' ? readStatus(json.value, 'status') : readStatus(json.value, statusField);
  if (status === undefined) {
    return { ok: false, failure: { reason: 'missing-field', message: `${said} no status string at "${statusField}"` } };
  }
  return { ok: true, status, body: json.value };
}

/**
 * Whether a status string is surely within the status body's size as `{"status": ...}`: a UTF-16
 * unit is at most 6 bytes of JSON (a control character's \u escape). Longer ones are measured.
 */
function fitsAsStatusBody(status: string): boolean {
  return status.length * 6 + STATUS_WRAPPER_BYTES <= MAX_STATUS_BODY_BYTES;
}

const STATUS_WRAPPER_BYTES = '{"status":""}'.length;

