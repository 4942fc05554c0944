/**
 * Operations: a start request and the monitor of what it starts, as one durable unit. jobwatch
 * sends the start request itself (the first step of the monitor's poll job), with an idempotency
 * key that is the same at every try, records what it answered in the context, and then polls as
 * every monitor does. Types and pure rules only; the request is sent in status/.
 */

/** What an operation's context carries besides a monitor's. */
export interface OperationContext {
  /** `starting` until the answer to the start request is recorded; `started` after. */
  phase: 'starting' | 'started';
  /** The start request's JSON body, as given; absent: none is sent. */
  body?: unknown;
  /** Sent in the source's idempotency header at every try of the start request. */
  idempotencyKey: string;
  /** A hash of the source, params and body: what tells a repeated start of this operation from another request. */
  fingerprint: string;
  /** When the first poll after the start is due, unless the answer's Retry-After says; absent: the interval. */
  firstPollInMs?: number;
  /** What the start answered, once it did. */
  answer?: StartAnswerRecord;
}

/** What the start request answered, as the context and the final record keep it (bounded). */
export interface StartAnswerRecord {
  /** The HTTP status of the answer. */
  status: number;
  /** The URL watched, as its Location-style header named it (without query or credentials in messages). */
  watching?: string;
  /** The job id read at the source's `start.jobIdPath`. */
  jobId?: string;
}

/**
 * How the answer to a start request was read:
 * - `watch`: poll this URL (a Location, Operation-Location or Azure-AsyncOperation of an allowed origin);
 * - `watch-job`: poll the source's URL with this job id (read at `start.jobIdPath`);
 * - `done`: the job finished at once (a 200, 201 or 204 with nothing to watch); its body is the output;
 * - `refused`: a 4xx, or an answer that breaks a rule (another origin, no job id at the path): the operation failed.
 * Connection errors, timeouts, 5xx and 429 are not among these: they are failed checks, retried.
 */
export type StartOutcome =
  | { kind: 'watch'; status: number; url: string; retryAfterMs?: number }
  | { kind: 'watch-job'; status: number; jobId: string; retryAfterMs?: number }
  | { kind: 'done'; status: number; output: unknown }
  | { kind: 'refused'; status: number; reason: string; body: unknown };

/** Whether a monitor is an operation still waiting for its start request's answer. */
export function isStarting(context: { operation?: OperationContext | undefined }): boolean {
  return context.operation?.phase === 'starting';
}
