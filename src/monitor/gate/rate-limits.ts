import { rateKeyProblem } from './rate-key.ts';

/**
 * JOBWATCH_RATE_LIMITS: requests per second (or minute, or hour) per rate key, shared by every
 * worker process. `jobs.internal=50/s,api.vendor.com:443=5/s,*=200/s`: each listed key gets its
 * own limit, and `*` gives every other key a limit of its own (each key its own 200/s, not 200/s
 * for all together). A key neither listed nor covered by `*` is not rate-limited.
 */
export interface RateLimits {
  /** Limit by exact rate key. */
  readonly byKey: ReadonlyMap<string, RateLimit>;
  /** The limit of every key not listed (`*`); undefined: those keys are not rate-limited. */
  readonly fallback: RateLimit | undefined;
}

export interface RateLimit {
  /** Requests per `perMs`. */
  readonly count: number;
  readonly perMs: number;
  /** As it was written, e.g. `5/s`. */
  readonly text: string;
}

/** No rate limits: only the host-wide holds and circuits (the default). */
export const NO_RATE_LIMITS: RateLimits = Object.freeze({ byKey: new Map(), fallback: undefined });

/** Fastest limit accepted: above this a limit is no protection and the float arithmetic gets coarse. */
export const MAX_RATE_PER_SECOND = 100_000;
/** Most entries accepted (each listed key is also a metrics label). */
export const MAX_RATE_LIMIT_ENTRIES = 100;

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

export type ParsedRateLimits = { ok: true; limits: RateLimits } | { ok: false; problem: string };

/**
 * Parses JOBWATCH_RATE_LIMITS. Never throws: a bad entry comes back as one line naming it
 * (`entry "api.vendor.com=5" is not KEY=N/s, N/m or N/h; e.g. api.vendor.com=5/s`).
 */
export function parseRateLimits(text: string): ParsedRateLimits {
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) return { ok: false, problem: 'must list at least one KEY=N/s entry, e.g. api.vendor.com=5/s,*=200/s' };
  if (entries.length > MAX_RATE_LIMIT_ENTRIES) return { ok: false, problem: `must list at most ${MAX_RATE_LIMIT_ENTRIES} entries` };
  const byKey = new Map<string, RateLimit>();
  let fallback: RateLimit | undefined;
  for (const entry of entries) {
    const shown = JSON.stringify(entry.length > 60 ? `${entry.slice(0, 60)}...` : entry);
    const match = /^(.+?)\s*=\s*(\d+(?:\.\d+)?)\s*\/\s*([smh])$/.exec(entry);
    if (!match) return { ok: false, problem: `entry ${shown} is not KEY=N/s, KEY=N/m or KEY=N/h; e.g. api.vendor.com=5/s or *=200/s` };
    const [, key, countText, unit] = match as unknown as [string, string, string, string];
    const count = Number(countText);
    const perMs = UNIT_MS[unit]!;
    if (!(count > 0)) return { ok: false, problem: `entry ${shown}: the rate must be more than 0` };
    if ((count * 1_000) / perMs > MAX_RATE_PER_SECOND) return { ok: false, problem: `entry ${shown}: the rate must be at most ${MAX_RATE_PER_SECOND}/s` };
    const limit: RateLimit = Object.freeze({ count, perMs, text: `${countText}/${unit}` });
    if (key === '*') {
      if (fallback) return { ok: false, problem: `entry ${shown}: * is given twice` };
      fallback = limit;
      continue;
    }
    const problem = rateKeyProblem(key);
    if (problem) return { ok: false, problem: `entry ${shown}: the key ${problem}` };
    const normalized = key.toLowerCase();
    if (byKey.has(normalized)) return { ok: false, problem: `entry ${shown}: ${key} is given twice` };
    byKey.set(normalized, limit);
  }
  return { ok: true, limits: Object.freeze({ byKey, fallback }) };
}

/** The limit of a rate key (lower-cased, as `rateKeyOf` gives them): its own entry, else `*`, else none. */
export function limitFor(limits: RateLimits, key: string): RateLimit | undefined {
  return limits.byKey.get(key) ?? limits.fallback;
}

/** The GCRA emission interval of a limit: milliseconds between two requests. */
export function emissionIntervalMs(limit: RateLimit): number {
  return limit.perMs / limit.count;
}

/** The limits as one line, for the worker's start-up log: `jobs.internal=50/s, *=200/s`, or `none`. */
export function describeRateLimits(limits: RateLimits): string {
  const parts = [...limits.byKey].map(([key, limit]) => `${key}=${limit.text}`);
  if (limits.fallback) parts.push(`*=${limits.fallback.text}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
