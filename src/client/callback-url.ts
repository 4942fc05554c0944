import { createHmac, timingSafeEqual } from 'node:crypto';
import { keyOf, namespaceOf, refOf, DEFAULT_NAMESPACE, type MonitorName } from '../monitor/namespace.ts';

/**
 * Callback URLs: `{publicUrl}/callbacks/{monitorId}/{token}` for a monitor of the default
 * namespace, `{publicUrl}/callbacks/{namespace}/{monitorId}/{token}` for another's, where the
 * token is an HMAC-SHA256 of the monitor's key (namespace.ts) under JOBWATCH_CALLBACK_SECRET. It
 * depends on the namespace and id alone, so the URL is known before the monitor starts and can be
 * handed to the job that is about to start; and one namespace's URL can never push to another's.
 */
export function callbackToken(secret: string, monitor: MonitorName): string {
  return createHmac('sha256', secret).update(keyOf(refOf(monitor)), 'utf8').digest('base64url');
}

export function callbackUrl(publicUrl: string, secret: string, name: MonitorName): string {
  const monitor = refOf(name);
  const namespace = namespaceOf(monitor);
  const where = namespace === DEFAULT_NAMESPACE ? '' : `${namespace}/`;
  return `${publicUrl}/callbacks/${where}${encodeURIComponent(monitor.monitorId)}/${callbackToken(secret, monitor)}`;
}

/** Whether `token` is the monitor's, compared in constant time (a wrong length is refused first, which tells nothing). */
export function isCallbackToken(secret: string, monitor: MonitorName, token: string): boolean {
  const expected = Buffer.from(callbackToken(secret, monitor));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
