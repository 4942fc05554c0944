import { isIPv4, isIPv6 } from 'node:net';
import { SOURCES_ONLY, type StatusUrlRule } from '../config/checks.ts';
import { ConfigError } from '../errors/errors.ts';

/** Where the server and metrics listen unless told otherwise: this machine only. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 3000;

/**
 * Whether a host name or address is this machine's loopback: `localhost` (a trailing dot too),
 * 127.0.0.0/8 in any form the URL parser reads as it (`127.1`, `2130706433`, `0x7f000001`), ::1,
 * or 127.0.0.0/8 mapped into IPv6 (`::ffff:127.0.0.1`, `::ffff:7f00:1`), with or without the
 * brackets of a URL. Anything else, names that resolve to loopback included, is not: a wrong "no"
 * only asks for more (a token, an allow-list entry), a wrong "yes" would let a request through.
 */
export function isLoopbackHost(host: string): boolean {
  const name = canonicalHost(host);
  if (name === undefined) return false;
  if (name === 'localhost' || name === 'localhost.') return true;
  if (isIPv4(name)) return name.startsWith('127.');
  // The URL parser writes IPv6 in its shortest form, so each loopback address has one spelling.
  return name === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name);
}

/**
 * The host as a URL's parser writes it: lower case, IPv4 in dotted decimal, IPv6 bracketed and
 * shortest. The same parser reads status URLs, and getaddrinfo reads a listening address's
 * `127.1` or `0x7f000001` as the same address, so both are judged by one spelling.
 */
function canonicalHost(host: string): string | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare === '') return undefined;
  const literal = isIPv6(bare) ? `[${bare}]` : bare;
  try {
    const url = new URL(`http://${literal}/`);
    return url.port === '' && url.pathname === '/' && url.username === '' ? url.hostname : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Secure by default: without JOBWATCH_API_TOKEN or a keys file nothing is authenticated, so the
 * server may only be reachable from this machine. Refuses any other listening address with what
 * to do instead.
 */
export function assertBindAllowed(flag: string, host: string, access: { apiToken?: string | undefined; keysFile?: string | undefined }): void {
  if (access.apiToken || access.keysFile || isLoopbackHost(host)) return;
  throw new ConfigError(
    `${flag} ${host}: without JOBWATCH_KEYS_FILE or JOBWATCH_API_TOKEN the server listens on loopback only; ` +
      'create keys with `jobwatch keys create` (or set JOBWATCH_API_TOKEN, e.g. from `openssl rand -hex 32`) to listen on other addresses',
  );
}

/**
 * A server other machines reach must not fetch this machine's own services for them: with no
 * allow-list every loopback URL is a valid status URL, so an API client could read a local admin
 * endpoint through `detail`, or have a worker POST to one. Refuses any other listening address
 * unless status URLs are restricted to listed prefixes or to the named sources.
 */
export function assertStatusUrlsRestricted(flag: string, host: string, rule: StatusUrlRule | undefined): void {
  if (rule !== undefined || isLoopbackHost(host)) return;
  throw new ConfigError(
    `${flag} ${host}: a server reachable from other machines must not fetch any loopback URL a client sends; ` +
      'set JOBWATCH_ALLOWED_STATUS_URLS to the status URL prefixes to allow (e.g. https://jobs.internal/api/) ' +
      `or to ${SOURCES_ONLY} (named sources only)`,
  );
}
