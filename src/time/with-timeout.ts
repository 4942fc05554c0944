/** What withTimeout rejects with, so callers can tell a slow answer from a failed one. */
export class TimedOutError extends Error {}

/** Rejects with TimedOutError (`what did not answer within N ms`) when the work takes longer; the timer never outlives it. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOutError(`${what} did not answer within ${ms}ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Waits for `work` up to `ms`: true when it finished, false when it failed or took longer (it is
 * left running). For shutdown steps that would otherwise wait forever on a service that is down.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(work, ms, 'shutdown step');
    return true;
  } catch {
    return false;
  }
}

/** How long a shutdown step that talks to Redis may take before its connection is cut. */
export const REDIS_CLOSE_TIMEOUT_MS = 3_000;
