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
 * What code handed in answered, bounded like withTimeout when it answered with a promise (a status
 * hook may answer at once or later). An answer given at once needs no timer: it is returned as it is.
 */
export function answerWithin<T>(answer: T | PromiseLike<T>, ms: number, what: string): T | Promise<T> {
  if (!isThenable(answer)) return answer;
  return withTimeout(Promise.resolve(answer), ms, what);
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<T>).then === 'function';
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
