import { z } from 'zod';
import type { MonitorCheckRow } from '../db/schema.ts';
import { InvalidInputError } from '../errors/errors.ts';

/** Checks per page when a caller names no limit. */
export const DEFAULT_CHECKS_LIMIT = 100;
/** Most checks per page. */
export const MAX_CHECKS_LIMIT = 1_000;

/** One status check of a monitor's history, as the API and `jobwatch history` print it. */
export const checkRecordSchema = z.object({
  seq: z.int().positive().meta({ description: "The check's number in its monitor, from 1; numbers a history mode skips are missing" }),
  checkedAt: z.iso.datetime(),
  status: z.string().nullable().meta({ description: 'The raw status read; null for a failed check' }),
  result: z.enum(['running', 'terminal', 'failed']),
  reason: z.string().nullable().meta({ description: 'Why a failed check failed: connection, timeout, http-status, not-found, bad-body, missing-field, hook-error' }),
  error: z.string().nullable(),
  httpStatus: z.int().nullable(),
  latencyMs: z.int().nonnegative().meta({ description: 'How long the status call took' }),
  lateMs: z.int().nonnegative().meta({ description: 'How late the poll started after it was due' }),
  via: z.string().meta({ description: 'How the status was learned. `poll`: a status call; `push`: a status the job service pushed (formerly `source`)' }),
  source: z.string().nullable().meta({ description: 'The configured status source the poll read through; null for a push and for monitors of a status URL, a batch status URL or the status hook' }),
});
export type CheckRecordView = z.infer<typeof checkRecordSchema>;

/** A page of `GET /api/monitors/{id}/checks`. */
export const checkPageSchema = z.object({
  monitorId: z.string(),
  checks: z.array(checkRecordSchema).meta({ description: 'Oldest first' }),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
});
export type CheckPage = z.infer<typeof checkPageSchema>;

/** The raw query: from HTTP query parameters, CLI flags or a library call. */
export interface CheckQueryInput {
  limit?: number | string;
  /** The `nextCursor` of the previous page: the last seq it held. */
  cursor?: string;
}

export const checkQuerySchema = z.object({
  limit: z.preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
    z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' }).max(MAX_CHECKS_LIMIT, { error: `must be at most ${MAX_CHECKS_LIMIT}` }))
    .optional(),
  cursor: z.string().regex(/^\d{1,9}$/, { error: 'is not a cursor from a previous page; pass nextCursor as it was' }).optional(),
});

/** Validates a checks query once, at the edge; throws InvalidInputError naming the field. */
export function parseCheckQuery(raw: CheckQueryInput): { limit: number; afterSeq: number } {
  const parsed = checkQuerySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(issue.path.slice(0, 1).map(String), issue.message, 'query');
  }
  return { limit: parsed.data.limit ?? DEFAULT_CHECKS_LIMIT, afterSeq: Number(parsed.data.cursor ?? 0) };
}

/** @internal Names a Drizzle row type, which the published types leave out. */
export function checkView(row: MonitorCheckRow): CheckRecordView {
  return {
    seq: row.seq,
    checkedAt: row.checkedAt.toISOString(),
    status: row.status,
    result: row.result as CheckRecordView['result'],
    reason: row.reason,
    error: row.error,
    httpStatus: row.httpStatus,
    latencyMs: row.latencyMs,
    lateMs: row.lateMs,
    via: row.via,
    source: row.source,
  };
}

/** @internal A page of rows as the API answers it; a full page has a cursor, the last page none. */
export function checkPage(monitorId: string, rows: readonly MonitorCheckRow[], limit: number): CheckPage {
  const last = rows.length === limit ? rows[rows.length - 1] : undefined;
  return { monitorId, checks: rows.map(checkView), nextCursor: last ? String(last.seq) : null };
}
