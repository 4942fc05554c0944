import type { MonitorResult } from '../monitor/context.ts';
import { MAX_JOB_STATUS_LENGTH } from '../monitor/input-limits.ts';
import { isHighSurrogate, LONE_SURROGATE } from '../json/unicode.ts';

/**
 * Postgres refuses some strings that JavaScript and JSON allow: NUL (`\u0000`) in text and jsonb,
 * and lone UTF-16 surrogates in jsonb (`JSON.stringify` writes them as `\ud800` escapes, which
 * jsonb rejects). A row that cannot be written is a monitor with no final record, so every write
 * goes through `storableResult`, which fixes such values and says what it changed.
 */

/** What was changed to make a record storable; written into its `detail` as `storageNotes`. */
export interface StorageNotes {
  /** NUL characters removed from strings and keys. */
  nulsRemoved?: number;
  /** Lone surrogates replaced by U+FFFD. */
  surrogatesReplaced?: number;
  /** The reported status's full length, when `job_status` holds only its first MAX_JOB_STATUS_LENGTH characters. */
  jobStatusLength?: number;
}

const UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE.source}`, 'g');

/** A text or JSON value Postgres accepts, counting what was changed into `notes`. */
export function toStorable<T>(value: T, notes: StorageNotes): T {
  if (typeof value === 'string') return storableText(value, notes) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item: unknown) => toStorable(item, notes)) as T;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[storableText(key, notes)] = toStorable(item, notes);
  return copy as T;
}

function storableText(text: string, notes: StorageNotes): string {
  // The common case costs one regex test and no copy.
  UNSTORABLE.lastIndex = 0;
  if (!UNSTORABLE.test(text)) return text;
  return text.replace(UNSTORABLE, (match) => {
    if (match === '\u0000') {
      notes.nulsRemoved = (notes.nulsRemoved ?? 0) + 1;
      return '';
    }
    notes.surrogatesReplaced = (notes.surrogatesReplaced ?? 0) + 1;
    return '\ufffd';
  });
}

/**
 * The record as it can be written: every string storable, `job_status` capped at
 * MAX_JOB_STATUS_LENGTH characters, and what was changed noted in `detail.storageNotes` (a detail
 * that is not an object is kept under `detail.body`).
 */
export function storableResult(result: MonitorResult): MonitorResult {
  const notes: StorageNotes = {};
  let jobStatus = result.jobStatus;
  if (jobStatus !== null && jobStatus.length > MAX_JOB_STATUS_LENGTH) {
    notes.jobStatusLength = jobStatus.length;
    // Not between the two halves of a surrogate pair, which would leave half a character.
    const end = isHighSurrogate(jobStatus.charCodeAt(MAX_JOB_STATUS_LENGTH - 1)) ? MAX_JOB_STATUS_LENGTH - 1 : MAX_JOB_STATUS_LENGTH;
    jobStatus = jobStatus.slice(0, end);
  }
  const storable: MonitorResult = {
    ...result,
    monitorId: toStorable(result.monitorId, notes),
    jobId: toStorable(result.jobId, notes),
    jobStatus: toStorable(jobStatus, notes),
    detail: toStorable(result.detail, notes),
    metadata: toStorable(result.metadata, notes),
  };
  if (Object.keys(notes).length === 0) return result;
  const detail = storable.detail;
  storable.detail = isPlainObject(detail) ? { ...detail, storageNotes: notes } : { body: detail ?? null, storageNotes: notes };
  return storable;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
