import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from '../errors/errors.ts';

/** Where the server and metrics listen unless told otherwise: this machine only. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 3000;

/**
 * Whether a host name or address is this machine's loopback: `localhost`, 127.0.0.0/8 or ::1
 * (with or without the brackets of a URL).
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (name === 'localhost') return true;
  if (isIPv4(name)) return name.startsWith('127.');
  if (isIPv6(name)) return name === '::1' || /^::ffff:127\./.test(name);
  return false;
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
