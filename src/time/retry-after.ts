/** Longest Retry-After honoured, so that a confused service cannot park a monitor for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Retry-After is either seconds or an HTTP date; undefined when absent, unreadable or past. Lives
 * here, below the domain, because both the HTTP providers and the status conventions read it.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(Math.round(ms), MAX_RETRY_AFTER_MS);
}
