import type { MonitorContext } from '../context.ts';

/**
 * Rate keys: what the per-key rate limits, the host-wide Retry-After holds and the circuits are
 * kept under. A monitor's key is its `rateKey` when it names one; otherwise the `host[:port]` of
 * its status URL (the port only when the URL spells it out), for hook monitors the key the hook
 * module exports, or `hook`, and for source monitors the source's (set at start; its name otherwise).
 */

/** Longest rate key a monitor or a hook module may name. */
export const MAX_RATE_KEY_LENGTH = 128;

/**
 * What a named rate key may hold: letters, digits and `. _ ~ : @ / [ ] + -`. No commas, `=` or `*`
 * (JOBWATCH_RATE_LIMITS's own syntax), no braces (Redis hash tags), no spaces.
 */
export const RATE_KEY_PATTERN = /^[A-Za-z0-9._~:@/[\]+-]+$/;

/** The key of hook monitors that name none, when the hook module exports none either. */
export const DEFAULT_HOOK_RATE_KEY = 'hook';

/** Why a rate key cannot be used, or undefined when it can. */
export function rateKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty';
  if (key.length > MAX_RATE_KEY_LENGTH) return `must be at most ${MAX_RATE_KEY_LENGTH} characters`;
  if (!RATE_KEY_PATTERN.test(key)) return 'must be letters, digits or . _ ~ : @ / [ ] + - (e.g. api.vendor.com:443 or billing-api)';
  return undefined;
}

/**
 * The `host[:port]` of a status URL (a template: `{jobId}` may be in it): the host lower-cased as
 * URLs compare it, and the port only when the URL gives one, as written (`https://api.vendor.com:443/`
 * is `api.vendor.com:443`, `https://api.vendor.com/` is `api.vendor.com`).
 */
export function hostKeyOf(url: string): string {
  const hostname = new URL(url.replaceAll('{jobId}', 'jobid')).hostname;
  // The authority as written: WHATWG URL drops a default port, which the key keeps.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  const hostAndPort = authority.slice(authority.lastIndexOf('@') + 1);
  const port = /:(\d+)$/.exec(hostAndPort)?.[1];
  return port === undefined ? hostname : `${hostname}:${Number(port)}`;
}

/**
 * The key a monitor's requests are limited, held and circuit-broken under. Keys compare ignoring
 * case, as host names do: a named one is lower-cased too.
 */
export function rateKeyOf(context: Pick<MonitorContext, 'status' | 'rateKey'>, hookKey: string = DEFAULT_HOOK_RATE_KEY): string {
  if (context.rateKey) return context.rateKey.toLowerCase();
  if (context.status.kind === 'hook') return hookKey.toLowerCase();
  // A source monitor is started with its source's rate key; its name is the source's default one.
  return context.status.kind === 'source' ? context.status.name.toLowerCase() : hostKeyOf(context.status.url);
}
