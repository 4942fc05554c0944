import { describeUrl } from './describe-url.ts';
import type { StartAnswerRecord } from './operation.ts';

/**
 * An operation's start, for people: what `jobwatch watch` prints and what the monitors page shows.
 * One wording for both, so the terminal and the page never tell it two ways. Pure.
 */

/** A refused start, as its final record's `detail.start` keeps it. */
export interface StartFailure {
  status: number;
  reason: string;
}

/** `starting: sending the start request to source render`: an operation whose start has not been answered yet. */
export function startingText(statusSource: string): string {
  return `starting: sending the start request to ${statusSource}`;
}

/** A start being retried: its last try's error (a connection error, a timeout, a 5xx), sent again with the same key. */
export function startRetryText(lastError: string): string {
  return `last try failed: ${lastError} (retried with the same idempotency key)`;
}

/**
 * What the start answered, after the word "start": `answered 202, watching https://host/path` (the
 * URL without its query, which may carry a token), `answered 201, job id job-7`, or `answered 200`
 * when there was nothing to watch.
 */
export function describeStartAnswer(answer: StartAnswerRecord): string {
  const text = `answered ${answer.status}`;
  if (answer.watching !== undefined) return `${text}, watching ${describeUrl(answer.watching)}`;
  if (answer.jobId !== undefined) return `${text}, job id ${answer.jobId}`;
  return text;
}

/** Whether an ended operation finished with its start's answer (a synchronous 200, 201 or 204): `detail.via` is `start`. */
export function finishedAtStart(detail: unknown): boolean {
  return typeof detail === 'object' && detail !== null && (detail as { via?: unknown }).via === 'start';
}

/** The refusal in an ended operation's detail (`detail.start`), or undefined when its start was not refused. */
export function startFailureOf(detail: unknown): StartFailure | undefined {
  if (typeof detail !== 'object' || detail === null || !('start' in detail)) return undefined;
  const start = (detail as { start: unknown }).start;
  if (typeof start !== 'object' || start === null) return undefined;
  const { status, reason } = start as { status?: unknown; reason?: unknown };
  if (typeof status !== 'number' || typeof reason !== 'string') return undefined;
  return { status, reason };
}

/** A refused start, after the word "start": `failed: 400 the start request was refused: ...`. */
export function describeStartFailure(failure: StartFailure): string {
  return `failed: ${failure.status} ${failure.reason}`;
}
