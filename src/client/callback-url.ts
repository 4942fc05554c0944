import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Callback URLs: `{publicUrl}/callbacks/{monitorId}/{token}`, where the token is an HMAC-SHA256 of
 * the monitor id under JOBWATCH_CALLBACK_SECRET. It depends on the id alone, so the URL is known
 * before the monitor starts and can be handed to the job that is about to start.
 */
export function callbackToken(secret: string, monitorId: string): string {
  return createHmac('sha256', secret).update(monitorId, 'utf8').digest('base64url');
}

export function callbackUrl(publicUrl: string, secret: string, monitorId: string): string {
  return `${publicUrl}/callbacks/${encodeURIComponent(monitorId)}/${callbackToken(secret, monitorId)}`;
}

/** Whether `token` is the monitor's, compared in constant time (a wrong length is refused first, which tells nothing). */
export function isCallbackToken(secret: string, monitorId: string, token: string): boolean {
  const expected = Buffer.from(callbackToken(secret, monitorId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
