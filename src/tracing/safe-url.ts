/**
 * A URL as a span may carry it (`url.full`): without user or password, and with every query
 * value replaced, since status URLs may carry an API key in their query.
 */
export function safeUrl(url: URL): string {
  const safe = new URL(url);
  safe.username = '';
  safe.password = '';
  for (const key of new Set(safe.searchParams.keys())) safe.searchParams.set(key, 'REDACTED');
  return safe.toString();
}
