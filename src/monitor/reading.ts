import type { StartOutcome } from './operation.ts';

/** Why a status check failed. Each is retried with backoff, except `not-found` when configured to end the monitor. */
export type StatusFailureReason =
  | 'connection'   // refused, reset, DNS
  | 'timeout'      // no answer within the status timeout
  | 'http-status'  // 5xx, 429 or another non-2xx answer
  | 'not-found'    // 404: the job service does not know the job
  | 'bad-body'     // the body is not JSON
  | 'missing-field' // the JSON has no status at the configured field, or it is not a string
  | 'hook-error'  // the status hook threw
  | 'unknown-source' // the monitor names a source this worker's sources file lacks (or no longer takes its params)
  | 'credentials'; // a source's credential (its env variable or file) could not be read

export interface StatusCheckFailure {
  reason: StatusFailureReason;
  /** One line for logs and the result's detail; never contains credentials. */
  message: string;
  httpStatus?: number;
  /** From a Retry-After header: the service asked us to wait this long. */
  retryAfterMs?: number;
}

/** What one status check found. Providers never throw: every failure is a reading too. */
export type StatusReading =
  | {
    ok: true; status: string; body: unknown;
    /** The service said "still running" without a status (202 Accepted with none at the field). */
    running?: true;
    /** From a Retry-After header on a running answer: when to ask again. */
    retryAfterMs?: number;
    /** The HTTP status of the answer, for HTTP providers. */
    httpStatus?: number;
    /**
     * The outcome, when the reader decided it: a source's convention or mapping (GitHub's
     * `completed` may be a failure). Used instead of classifying `status` with the deployment's vocabulary.
     */
    outcome?: 'completed' | 'failed' | 'canceled';
    /** The answer to an operation's start request, read: what to watch, or how it ended (operation.ts). */
    started?: StartOutcome;
  }
  | { ok: false; failure: StatusCheckFailure };
