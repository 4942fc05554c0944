import { z } from 'zod';
import { InvalidInputError } from '../errors/errors.ts';
import { isStorableText } from '../json/unicode.ts';
import { MAX_ID_LENGTH } from '../monitor/input-limits.ts';
import { NAMESPACE_PATTERN, NAMESPACE_RULE } from '../monitor/namespace.ts';
import type { ListFilter } from '../monitor/list-filter.ts';
import { OUTCOMES, type Outcome } from '../monitor/statuses.ts';

/** What `listMonitors` can filter on: running monitors, or ended ones by outcome. */
export type ListState = 'running' | Outcome;
export const LIST_STATES: readonly ListState[] = ['running', ...OUTCOMES];

/** Monitors per page when a caller names no limit. */
export const DEFAULT_LIST_LIMIT = 50;
/** Most monitors per page. */
export const MAX_LIST_LIMIT = 1_000;

/**
 * Where a page ends. The list has two parts, each newest first: running monitors (by start time),
 * then ended ones (by finish time); a cursor is the sort key of the last monitor of a page.
 */
export interface ListPosition {
  part: 'running' | 'ended';
  /** Epoch milliseconds: start time of a running monitor, finish time of an ended one. */
  at: number;
  /** The monitor's key (namespace.ts): unique, where ids are unique per namespace only. */
  monitorId: string;
}

export interface ListQuery {
  state?: ListState;
  limit: number;
  after?: ListPosition;
  filter?: ListFilter;
}

/** The raw query: from HTTP query parameters, CLI flags or a library call. */
export interface ListQueryInput {
  state?: string;
  limit?: number | string;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** Only the monitors of this namespace. */
  namespace?: string;
  /** Monitor id or job id prefix. */
  idPrefix?: string;
  /** `key=value`: the metadata's `key` holds `value`. */
  metadata?: string;
  /** ISO times (UTC when they name no zone): the start of a running monitor, the finish of an ended one, from/to. */
  from?: string;
  to?: string;
}

const EARLIEST_TIME = 0;
const LATEST_TIME = Date.parse('9999-12-31T23:59:59.999Z');
/** An ISO 8601 time to the minute or finer; without a zone it is UTC (what an HTML datetime-local field sends). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;
const isoInstant = z.string()
  .regex(ISO_TIME, { error: 'must be an ISO time such as 2026-11-30T12:00:00Z (UTC when no zone is given)' })
  .transform((value, ctx) => {
    const at = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`);
    if (Number.isNaN(at)) ctx.addIssue({ code: 'custom', message: 'is not a valid date' });
    // Postgres has no year 0, and a time zone may carry 9999-12-31 into year 10000.
    else if (at < EARLIEST_TIME || at > LATEST_TIME) ctx.addIssue({ code: 'custom', message: 'must be between 1970 and 9999' });
    return at;
  });

export const listQuerySchema = z.object({
  state: z.enum(LIST_STATES as [ListState, ...ListState[]], { error: `must be one of ${LIST_STATES.join(', ')}` }).optional(),
  // Query strings and flags give digits as text.
  limit: z.preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
    z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' }).max(MAX_LIST_LIMIT, { error: `must be at most ${MAX_LIST_LIMIT}` }))
    .optional(),
  cursor: z.string().optional(),
  namespace: z.string().regex(NAMESPACE_PATTERN, { error: `must be ${NAMESPACE_RULE}` }).optional(),
  idPrefix: z.string().max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters` })
    .refine(isStorableText, { error: 'must be text without NUL or lone surrogates' }).optional(),
  metadata: z.string().regex(/^[^=]+=/, { error: 'must be key=value, e.g. team=video' })
    .refine(isStorableText, { error: 'must be text without NUL or lone surrogates' }).optional(),
  from: isoInstant.optional(),
  to: isoInstant.optional(),
});

/** Validates a list query once, at the edge; throws InvalidInputError naming the field. */
export function parseListQuery(raw: ListQueryInput): ListQuery {
  const parsed = listQuerySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(issue.path.slice(0, 1).map(String), issue.message, 'query');
  }
  const { state, limit, cursor, namespace, idPrefix, metadata, from, to } = parsed.data;
  if (from !== undefined && to !== undefined && from > to) throw new InvalidInputError('from', 'is after to; swap them', 'query');
  const filter: ListFilter = {
    ...(namespace ? { namespaces: [namespace] } : {}),
    ...(idPrefix ? { idPrefix } : {}),
    ...(metadata ? { metadata: splitKeyValue(metadata) } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
  };
  return {
    state,
    limit: limit ?? DEFAULT_LIST_LIMIT,
    ...(cursor ? { after: decodeCursor(cursor) } : {}),
    ...(Object.keys(filter).length > 0 ? { filter } : {}),
  };
}

function splitKeyValue(pair: string): { key: string; value: string } {
  const equals = pair.indexOf('=');
  return { key: pair.slice(0, equals).trim(), value: pair.slice(equals + 1) };
}

/** Opaque to callers: base64url of the position, so they pass it back unchanged. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.part, position.at, position.monitorId])).toString('base64url');
}

function decodeCursor(cursor: string): ListPosition {
  try {
    const [part, at, monitorId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if ((part === 'running' || part === 'ended') && Number.isSafeInteger(at) && typeof monitorId === 'string' && isStorableText(monitorId)) {
      return { part, at: at as number, monitorId };
    }
  } catch {
    // reported below, as any other malformed cursor
  }
  throw new InvalidInputError('cursor', 'is not a cursor from a previous page; pass nextCursor as it was, or omit it to start at the first page');
}

/** Newest first; equal times in reverse key order, as the database is asked to sort. */
export function comparePositions(a: ListPosition, b: ListPosition): number {
  if (a.at !== b.at) return b.at - a.at;
  return a.monitorId < b.monitorId ? 1 : a.monitorId > b.monitorId ? -1 : 0;
}
