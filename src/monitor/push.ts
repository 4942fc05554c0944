import { z } from 'zod';
import { InputTooLargeError, InvalidInputError } from '../errors/errors.ts';
import { toBoundedJson } from '../json/bounded-json.ts';
import type { MonitorContext, MonitorResult } from './context.ts';
import { truncateDetail } from './decide.ts';
import { finalRecord } from './final-record.ts';
import { MAX_ID_LENGTH, MAX_PUSHED_BODY_BYTES } from './input-limits.ts';
import { classifyStatus, type StatusVocabulary } from './statuses.ts';

/**
 * A status pushed by the job service (or anyone allowed to): `POST /api/monitors/:id/status`, a
 * callback URL, `client.reportStatus` or `jobwatch report`. One schema for all of them.
 */
export const pushedStatusSchema = z.strictObject({
  status: z.string({ error: 'must be a string such as "Completed"' })
    .min(1, { error: 'is empty; send a status such as "Completed"' })
    .max(MAX_ID_LENGTH, { error: `is longer than ${MAX_ID_LENGTH} characters` }).meta({ description: 'The job\'s status, in the same vocabulary as a polled one (e.g. `Completed`, `Failed`, `Processing`)' }),
  body: z.unknown().optional().meta({ description: `Anything about the job, at most ${MAX_PUSHED_BODY_BYTES} bytes of JSON (over it: 413); kept in the final record's \`detail.body\`` }),
}, {
  error: (issue) => issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}; send {"status": ..., "body": ...}`
    : issue.code === 'invalid_type' && issue.path?.length === 0 ? 'must be a JSON object such as {"status": "Completed"}' : undefined,
});
export type PushedStatus = z.infer<typeof pushedStatusSchema>;

/**
 * Validates a pushed status once, at the edge; InvalidInputError names the bad field (`status`,
 * `body`, or `push` for the whole). A `body` over MAX_PUSHED_BODY_BYTES of JSON is an
 * InputTooLargeError (413 over HTTP), measured as metadata is.
 */
export function parsePushedStatus(raw: unknown): PushedStatus {
  const parsed = pushedStatusSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(issue.path.filter((part): part is string | number => typeof part !== 'symbol'), issue.message, 'push');
  }
  if (parsed.data.body !== undefined) {
    const json = toBoundedJson(parsed.data.body, { maxBytes: MAX_PUSHED_BODY_BYTES });
    if (!json.ok && json.problem === 'too-large') throw new InputTooLargeError('body', `must be at most ${MAX_PUSHED_BODY_BYTES} bytes of JSON; push a smaller body`);
    if (!json.ok) throw new InvalidInputError('body', json.reason);
  }
  return parsed.data;
}

/** How the end of a monitor was learned, in the final record's `detail.via` for pushes. */
export const PUSH_VIA = 'push';

export type PushDecision =
  /** A terminal status: the monitor ends with this record. */
  | { kind: 'finish'; result: MonitorResult }
  /** A running status: recorded as the last status; nothing ends. */
  | { kind: 'record'; context: MonitorContext };

/**
 * What a pushed status does to a running monitor at `now`. Terminal statuses end it with the same
 * outcomes as a polled one; the record's `detail` is `{via: "push", body}`. Pure, like decide.ts.
 */
export function decidePush(context: MonitorContext, pushed: PushedStatus, now: number, vocabulary: StatusVocabulary): PushDecision {
  const statusClass = classifyStatus(pushed.status, vocabulary);
  if (statusClass === 'running') return { kind: 'record', context: { ...context, lastStatus: pushed.status, pushes: (context.pushes ?? 0) + 1 } };
  const end = { outcome: statusClass, jobStatus: pushed.status, detail: { via: PUSH_VIA, body: truncateDetail(pushed.body ?? null) } };
  return { kind: 'finish', result: finalRecord(context, end, now) };
}

/**
 * Whether a final record was made by a push (and so by this one, when `finishedAt` matches too).
 * Records written before `detail.source` was renamed `detail.via` still say `source: "push"`, and
 * running deployments keep such records in Redis (a completion job not yet written) and in
 * Postgres: both spellings are a push.
 */
export function isPushedResult(detail: unknown): boolean {
  if (typeof detail !== 'object' || detail === null) return false;
  const marks = detail as { via?: unknown; source?: unknown };
  return marks.via === PUSH_VIA || marks.source === PUSH_VIA;
}
