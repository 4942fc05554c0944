import { InvalidInputError } from '../errors/errors.ts';
import { isLoopbackHost } from './loopback.ts';

/**
 * Which status URLs the HTTP API accepts. A server that fetches any URL a client sends is an open
 * proxy into its network, so a URL must sit under one of the configured prefixes; with none
 * configured, only loopback URLs are accepted. (The CLI and the library are trusted: they are
 * run by the operator, not by remote clients.)
 */
export interface StatusUrlPolicy {
  /**
   * Checks the URL the workers will fetch for this job (the template with `{jobId}` filled in, so
   * that a job id such as `..` cannot climb out of an allowed path). Throws InvalidInputError
   * (field `statusUrl`) naming how to allow it.
   */
  assertAllowed(statusUrl: string, jobId: string): void;
}

/** The URL a poll fetches, filled in as HttpStatusProvider does. */
function resolveStatusUrl(statusUrl: string, jobId: string): URL {
  return new URL(statusUrl.replaceAll('{jobId}', encodeURIComponent(jobId)));
}

export function createStatusUrlPolicy(prefixes: readonly string[] | undefined): StatusUrlPolicy {
  if (!prefixes) {
    return {
      assertAllowed(statusUrl, jobId) {
        const target = resolveStatusUrl(statusUrl, jobId);
        if (!isLoopbackHost(target.hostname)) {
          throw new InvalidInputError('statusUrl', `${target.origin} is not allowed: without JOBWATCH_ALLOWED_STATUS_URLS ` +
            'only loopback URLs are; list the prefixes to allow there, e.g. JOBWATCH_ALLOWED_STATUS_URLS=https://jobs.internal/api/');
        }
      },
    };
  }
  const parsed = prefixes.map((prefix) => new URL(prefix));
  return {
    assertAllowed(statusUrl, jobId) {
      const target = resolveStatusUrl(statusUrl, jobId);
      if (!parsed.some((prefix) => isUnder(target, prefix))) {
        throw new InvalidInputError('statusUrl', `${target.origin}${target.pathname} is not under any prefix in ` +
          `JOBWATCH_ALLOWED_STATUS_URLS (${prefixes.join(', ')}); add its prefix there to allow it`);
      }
    },
  };
}

/**
 * Compared as parsed URLs, not strings: `https://jobs.internal` must not let in
 * `https://jobs.internal.evil.net/` or `https://jobs.internal@evil.net/`, nor `/api` let in
 * `/api-admin`; and parsing has already resolved any `..` in the path.
 */
function isUnder(target: URL, prefix: URL): boolean {
  if (target.origin !== prefix.origin) return false;
  const base = prefix.pathname;
  if (base.endsWith('/')) return target.pathname.startsWith(base);
  return target.pathname === base || target.pathname.startsWith(`${base}/`);
}
