import { z } from 'zod';
import { InvalidInputError } from '../errors/errors.ts';
import { isStorableText } from '../json/unicode.ts';
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
  monitorId: string;
}

export interface ListQuery {
  state?: ListState;
  limit: number;
  after?: ListPosition;
}

/** The raw query: from HTTP query parameters, CLI flags or a library call. */
export interface ListQueryInput {
  state?: string;
  limit?: number | string;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export const listQuerySchema = z.object({
  state: z.enum(LIST_STATES as [ListState, ...ListState[]], { error: `must be one of ${LIST_STATES.join(', ')}` }).optional(),
  // Query strings and flags give digits as text.
  limit: z.preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
    z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' }).max(MAX_LIST_LIMIT, { error: `must be at most ${MAX_LIST_LIMIT}` }))
    .optional(),
  cursor: z.string().optional(),
});

/** Validates a list query once, at the edge; throws InvalidInputError naming the field. */
export function parseListQuery(raw: ListQueryInput): ListQuery {
  const parsed = listQuerySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(issue.path.slice(0, 1).map(String), issue.message, 'query');
  }
  const { state, limit, cursor } = parsed.data;
  return { state, limit: limit ?? DEFAULT_LIST_LIMIT, ...(cursor ? { after: decodeCursor(cursor) } : {}) };
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

/** Newest first; equal times in reverse id order, as the database is asked to sort. */
export function comparePositions(a: ListPosition, b: ListPosition): number {
  if (a.at !== b.at) return b.at - a.at;
  return a.monitorId < b.monitorId ? 1 : a.monitorId > b.monitorId ? -1 : 0;
}
