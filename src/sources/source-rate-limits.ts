import type { RateLimits } from '../monitor/gate/rate-limits.ts';
import type { Sources } from './sources-file.ts';

/**
 * The deployment's rate limits with each source's own `rateLimit` under its rate key. An entry of
 * JOBWATCH_RATE_LIMITS for the same key wins: the operator's variable overrides the file.
 */
export function withSourceRateLimits(limits: RateLimits, sources: Sources | undefined): RateLimits {
  if (sources === undefined) return limits;
  const byKey = new Map(limits.byKey);
  for (const source of Object.values(sources.byName)) {
    const key = source.rateKey.toLowerCase();
    if (source.rateLimit && !byKey.has(key)) byKey.set(key, source.rateLimit);
  }
  return Object.freeze({ ...limits, byKey });
}
