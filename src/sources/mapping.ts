import { classifyStatus, createVocabulary, type StatusVocabulary } from '../monitor/statuses.ts';
import { bodyObject, failureOfStatusCode, missingField, type HttpAnswer } from './http-answer.ts';
import { parseFieldPath, readPath, readStatusAt, type FieldPath } from './field-path.ts';
import { ended, running, type Reading } from './source-reading.ts';

/**
 * A source's own mapping, for a service that follows no standard convention: where its status is,
 * which values mean what, and what of the body is the job's output.
 */
export interface SourceMapping {
  /** Where the status is. @defaultValue `status` */
  readonly statusPath: FieldPath;
  /** Which values mean running, completed, failed, canceled. @defaultValue the deployment's vocabulary (DEFAULT_*_STATUSES) */
  readonly vocabulary: StatusVocabulary;
  /** What the final record keeps as the job's output. @defaultValue the whole body */
  readonly outputPath?: FieldPath;
}

/** The words of a mapping as a sources file gives them; lists left out keep the deployment's defaults. */
export interface MappingWords {
  statusPath?: string;
  running?: readonly string[];
  completed?: readonly string[];
  failed?: readonly string[];
  canceled?: readonly string[];
  outputPath?: string;
}

/** Builds a mapping; a bad path comes back as a problem naming the field (`statusPath: ...`). */
export function createMapping(words: MappingWords): { ok: true; mapping: SourceMapping } | { ok: false; field: string; problem: string } {
  const statusPath = parseFieldPath(words.statusPath ?? 'status');
  if (!statusPath.ok) return { ok: false, field: 'statusPath', problem: statusPath.problem };
  const outputPath = words.outputPath === undefined ? undefined : parseFieldPath(words.outputPath);
  if (outputPath && !outputPath.ok) return { ok: false, field: 'outputPath', problem: outputPath.problem };
  const vocabulary = createVocabulary({
    ...(words.running ? { running: words.running } : {}),
    ...(words.completed ? { completed: words.completed } : {}),
    ...(words.failed ? { failed: words.failed } : {}),
    ...(words.canceled ? { canceled: words.canceled } : {}),
  });
  return { ok: true, mapping: Object.freeze({ statusPath: statusPath.path, vocabulary, ...(outputPath ? { outputPath: outputPath.path } : {}) }) };
}

/**
 * Reads an answer through a mapping, as a plain status URL is read: a non-2xx is a failed check;
 * a 202 with no status at the path is running; otherwise the status is classified by the mapping's
 * lists, and a value in none of them is a `failed` end that keeps the raw value. No status at the
 * path is a failed check, `missing-field`, naming the path.
 */
export function readMapped(answer: HttpAnswer, mapping: SourceMapping): Reading {
  const failure = failureOfStatusCode(answer);
  if (failure) return { ok: false, failure };
  const parsed = bodyObject(answer);
  const status = parsed.ok ? readStatusAt(parsed.body, mapping.statusPath) : undefined;
  if (status === undefined) {
    // 202 Accepted is "still running" in the async request-reply pattern, with or without a body.
    if (answer.statusCode === 202) return running(answer, 'Accepted', true);
    return { ok: false, failure: parsed.ok ? missingField(answer, mapping.statusPath.text) : parsed.failure };
  }
  const statusClass = classifyStatus(status, mapping.vocabulary);
  if (statusClass === 'running') return running(answer, status, true);
  const output = mapping.outputPath ? readPath(parsed.ok ? parsed.body : undefined, mapping.outputPath) : parsed.ok ? parsed.body : undefined;
  return ended(answer, statusClass, status, { output });
}
