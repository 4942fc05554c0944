import { coerceError } from '../errors/errors.ts';

/** What one POST of a notification came to: accepted (2xx), or an error worth a retry. */
export type WebhookAttempt = { ok: true; httpStatus: number } | { ok: false; error: string };

/**
 * POSTs one signed notification. Any 2xx accepts it; another answer, a timeout or a connection
 * error is a failed attempt, retried by the caller. The answer's body is read and dropped.
 */
export async function postWebhook(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<WebhookAttempt> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'jobwatch', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, httpStatus: response.status };
    return { ok: false, error: `POST ${new URL(url).origin} answered ${response.status}` };
  } catch (caught) {
    const error = coerceError(caught);
    const code = (error as { cause?: { code?: string } }).cause?.code;
    const what = error.name === 'TimeoutError' ? `did not answer within ${timeoutMs}ms` : `failed: ${code ?? error.message}`;
    return { ok: false, error: `POST ${new URL(url).origin} ${what}` };
  }
}
