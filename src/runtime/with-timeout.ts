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
