import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { Logger } from 'pino';

/** Longest request path written in a refusal's log line; the rest is cut (its length is logged). */
export const MAX_LOGGED_PATH = 200;
/** A client address gets one refusal line per this many milliseconds; the others are counted into its next line. */
export const REFUSAL_LOG_EVERY_MS = 1_000;
/** Most refusal lines a second from all clients together, so that rotating addresses cannot flood the log either. */
export const MAX_REFUSAL_LINES_PER_SECOND = 20;
/** Most client addresses remembered; past it, those whose second is over are forgotten. */
const MAX_CLIENTS = 10_000;

export interface RefusalFields {
  method: string;
  path: string;
  reason: string;
}

/**
 * The log of refused requests (401), bounded: anyone can send wrong credentials as fast as the
 * network allows, and a line per request, with whatever path was sent, would let them fill the
 * disk. So a client address gets at most one line a second, counting the refusals it had in
 * between (`suppressed`), every client together at most MAX_REFUSAL_LINES_PER_SECOND, and a path
 * is cut to MAX_LOGGED_PATH characters.
 */
export class RefusalLog {
  /** Per client address: when its last line was written, and the refusals not written since. */
  private readonly clients = new Map<string, { loggedAt: number; suppressed: number }>();
  private secondStartedAt = -Infinity;
  private linesThisSecond = 0;

  constructor(private readonly logger: Logger, private readonly now: () => number = Date.now) {}

  /** Notes one refused request from `client`; writes a line unless the client (or everyone) had one this second. */
  refused(client: string, fields: RefusalFields): void {
    const now = this.now();
    const seen = this.clients.get(client);
    if (seen && now - seen.loggedAt < REFUSAL_LOG_EVERY_MS) {
      seen.suppressed += 1;
      return;
    }
    if (!this.takeLine(now)) {
      if (seen) seen.suppressed += 1;
      return;
    }
    this.remember(client, now);
    const { path, ...rest } = fields;
    const cut = path.length > MAX_LOGGED_PATH;
    this.logger.info({
      ...rest, path: cut ? path.slice(0, MAX_LOGGED_PATH) : path, ...(cut ? { pathLength: path.length } : {}),
      client, ...(seen?.suppressed ? { suppressed: seen.suppressed } : {}),
    }, 'request refused: 401');
  }

  private takeLine(now: number): boolean {
    if (now - this.secondStartedAt >= 1_000) {
      this.secondStartedAt = now;
      this.linesThisSecond = 0;
    }
    if (this.linesThisSecond >= MAX_REFUSAL_LINES_PER_SECOND) return false;
    this.linesThisSecond += 1;
    return true;
  }

  private remember(client: string, now: number): void {
    if (this.clients.size >= MAX_CLIENTS) {
      for (const [address, entry] of this.clients) if (now - entry.loggedAt >= REFUSAL_LOG_EVERY_MS) this.clients.delete(address);
      // Still full: every one of them was logged this second, and forgetting them costs at most a line each.
      if (this.clients.size >= MAX_CLIENTS) this.clients.clear();
    }
    this.clients.set(client, { loggedAt: now, suppressed: 0 });
  }
}

/** One RefusalLog per logger, so that the API's and the pages' guards share a client's second. */
const LOGS = new WeakMap<Logger, RefusalLog>();

/** Logs a refused request through the logger's RefusalLog (made at its first refusal). */
export function logRefused(logger: Logger, c: Context, fields: RefusalFields): void {
  let log = LOGS.get(logger);
  if (!log) {
    log = new RefusalLog(logger);
    LOGS.set(logger, log);
  }
  log.refused(clientAddress(c), fields);
}

/** The peer's address as the socket has it (no proxy header: those are the client's to forge); `unknown` off a socket. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
