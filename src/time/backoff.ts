/** How a retried step waits: doubling from `baseMs`, never longer than `maxMs`. */
export interface BackoffPolicy {
  /** The first retry's wait. */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
}

/**
 * The wait before retry number `attempt` (1: the first retry): `baseMs`, twice that for the next,
 * and so on up to `maxMs`. With a `jitter` (in [0, 1)) it is "equal jitter": half the wait fixed,
 * half random, so that the retries of many that failed together (one service down) do not come
 * back together. Pure: the caller draws the jitter.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, jitter?: number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return jitter === undefined ? exponential : Math.round(exponential / 2 + (exponential / 2) * jitter);
}
