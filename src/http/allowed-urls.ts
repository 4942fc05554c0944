import { SOURCES_ONLY, type StatusUrlRule } from '../config/checks.ts';
import { InvalidInputError } from '../errors/errors.ts';
import { statusRequestUrl } from '../monitor/status-url.ts';
import { isLoopbackHost } from './loopback.ts';

/**
 * Which status URLs the HTTP API accepts. A server that fetches any URL a client sends is an open
 * proxy into its network, so a URL must sit under one of the configured prefixes; with none
 * configured, only loopback URLs are accepted; with `sources`, none (monitors name a source).
 * Wherever it is, a URL whose path climbs with an encoded `..` is refused. (The CLI and the
 * library are trusted: they are run by the operator, not by remote clients.)
 */
export interface StatusUrlPolicy {
  /**
   * Checks the URL the workers will fetch for this job (the template with `{jobId}` filled in, so
   * that a job id such as `..` cannot climb out of an allowed path). Throws InvalidInputError
   * (field `statusUrl`) naming how to allow it.
   */
  assertAllowed(statusUrl: string, jobId: string): void;
}

export function createStatusUrlPolicy(rule: StatusUrlRule | undefined): StatusUrlPolicy {
  const allows = allowRule(rule);
  return {
    assertAllowed(statusUrl, jobId) {
      if (rule === SOURCES_ONLY) {
        throw new InvalidInputError('statusUrl', `is not allowed: JOBWATCH_ALLOWED_STATUS_URLS=${SOURCES_ONLY} allows only monitors of named sources; ` +
          'give `source` (and `params`) instead of a URL');
      }
      const request = statusRequestUrl(statusUrl, jobId);
      if (!URL.canParse(request)) throw new InvalidInputError('statusUrl', 'is not a valid URL once {jobId} is filled in with the job id');
      const target = new URL(request);
      // As written too: the URL parser resolves `%2e%2e` itself, and what it resolved is not what the client meant.
      const climb = encodedTraversal(writtenPath(statusUrl)) ?? encodedTraversal(target.pathname);
      if (climb) {
        throw new InvalidInputError('statusUrl', `its path holds ${JSON.stringify(climb)}, an encoded . or .. step ` +
          '(%2e, %2f or %5c, encoded once or more); servers that decode it would leave the path; write the path without it');
      }
      allows(target);
    },
  };
}

/** The origin or prefix rule, as a check that throws what to configure. */
function allowRule(rule: StatusUrlRule | undefined): (target: URL) => void {
  if (rule === undefined) {
    return (target) => {
      if (isLoopbackHost(target.hostname)) return;
      throw new InvalidInputError('statusUrl', `${target.origin} is not allowed: without JOBWATCH_ALLOWED_STATUS_URLS ` +
        'only loopback URLs are; list the prefixes to allow there, e.g. JOBWATCH_ALLOWED_STATUS_URLS=https://jobs.internal/api/');
    };
  }
  if (rule === SOURCES_ONLY) return () => {};
  const parsed = rule.map((prefix) => new URL(prefix));
  return (target) => {
    if (parsed.some((prefix) => isUnder(target, prefix))) return;
    throw new InvalidInputError('statusUrl', `${target.origin}${target.pathname} is not under any prefix in ` +
      `JOBWATCH_ALLOWED_STATUS_URLS (${rule.join(', ')}); add its prefix there to allow it`);
  };
}

/**
 * The first path segment that, its percent-encoding undone as often as a server might (`%252e`
 * is `%2e` is `.`), holds a `.` or `..` step between slashes or backslashes: `..%2fadmin`,
 * `%2e%2e`, `..%5c`, `%252e%252e`. The URL parser resolves the plain ones (and `%2e%2e`). An encoded
 * slash alone (a job id `a/b` as `a%2Fb`) climbs nowhere and stays allowed.
 */
export function encodedTraversal(pathname: string): string | undefined {
  return pathname.split('/').find((segment) => /%/.test(segment) && fullyDecoded(segment).split(/[/\\]/).some((step) => step === '.' || step === '..'));
}

/** A URL's text before its query or fragment: its path as written, with the scheme and host in front (which hold no `%`). */
function writtenPath(url: string): string {
  return url.split(/[?#]/, 1)[0]!;
}

/** Percent-decodes until nothing changes; each pass shortens the text, so it ends. Bytes that are not ASCII do not matter here. */
function fullyDecoded(text: string): string {
  let current = text;
  for (;;) {
    const next = current.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    if (next === current) return current;
    current = next;
  }
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
