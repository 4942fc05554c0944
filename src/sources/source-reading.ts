import { truncateDetail } from '../monitor/decide.ts';
import type { StatusCheckFailure, StatusReading } from '../monitor/reading.ts';
import type { HttpAnswer } from './http-answer.ts';
import { retryAfterOf } from './http-answer.ts';

/**
 * What a source's convention or mapping made of one answer: the job is still running, or it
 * ended with an outcome, or the check failed. Unlike a plain status URL's reading, the outcome is
 * decided here (GitHub's `completed` can be a failure, Google's `done` a cancel), so the
 * deployment's vocabulary is not asked again.
 */

/** The outcomes a job service can report; `expired` and `errored` are jobwatch's own. */
export type EndOutcome = 'completed' | 'failed' | 'canceled';

export interface Running {
  ok: true;
  state: 'running';
  /** The raw status, as the service said it (`in_progress`), or the HTTP status's phrase (`Accepted`). */
  status: string;
  httpStatus: number;
  /** When to ask again, where the convention's spec has Retry-After. */
  retryAfterMs?: number;
}

export interface Ended {
  ok: true;
  state: 'ended';
  outcome: EndOutcome;
  /** The raw status (`cancelled`, `CANCELLED`, `Failed`): what the final record keeps as the job's status. */
  status: string;
  httpStatus: number;
  /** The job's output (a response, a result location, file ids), bounded as a result's detail is. */
  output?: unknown;
  /** The service's error for a failed or canceled job, bounded likewise. */
  error?: unknown;
}

export type Reading = Running | Ended | { ok: false; failure: StatusCheckFailure };

/** Who read the answer: the source by name, and its convention or mapping (by its status path). */
export interface DecidedBy {
  source?: string;
  convention?: string;
  mapping?: string;
}

export type SourceReading = Reading & { decidedBy: DecidedBy };

/** A running reading; `honourRetryAfter` where the convention's spec gives Retry-After on running answers. */
export function running(answer: HttpAnswer, status: string, honourRetryAfter: boolean): Running {
  const wait = honourRetryAfter ? retryAfterOf(answer) : undefined;
  return { ok: true, state: 'running', status, httpStatus: answer.statusCode, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
}

/** An end; the output and error are cut to the size a result's detail may have. */
export function ended(answer: HttpAnswer, outcome: EndOutcome, status: string, kept: { output?: unknown; error?: unknown } = {}): Ended {
  return {
    ok: true, state: 'ended', outcome, status, httpStatus: answer.statusCode,
    ...(kept.output === undefined ? {} : { output: truncateDetail(kept.output) }),
    ...(kept.error === undefined ? {} : { error: truncateDetail(kept.error) }),
  };
}

/** What the final record keeps as `detail` for an end read from a source. */
export function endDetail(reading: Ended & { decidedBy: DecidedBy }): Record<string, unknown> {
  return {
    decidedBy: reading.decidedBy,
    status: reading.status,
    httpStatus: reading.httpStatus,
    ...(reading.output === undefined ? {} : { output: reading.output }),
    ...(reading.error === undefined ? {} : { error: reading.error }),
  };
}

/**
 * The reading as the monitor's decisions take one. An end carries its `outcome`, which
 * `decideAfterCheck` must prefer to classifying the status with the deployment's vocabulary
 * (`reading.running ? 'running' : reading.outcome ?? classifyStatus(...)`); its body is `endDetail`.
 */
export function toStatusReading(reading: SourceReading): StatusReading & { outcome?: EndOutcome } {
  if (!reading.ok) return { ok: false, failure: reading.failure };
  if (reading.state === 'running') {
    return {
      ok: true, status: reading.status, body: null, running: true, httpStatus: reading.httpStatus,
      ...(reading.retryAfterMs === undefined ? {} : { retryAfterMs: reading.retryAfterMs }),
    };
  }
  return { ok: true, status: reading.status, body: endDetail(reading), httpStatus: reading.httpStatus, outcome: reading.outcome };
}
