/**
 * The URL a poll of a status URL monitor fetches: its status URL with `{jobId}` replaced by the
 * URL-encoded job id, as the URL parser writes it (the `href` that goes on the wire). The one place
 * this is built, so that the URL the HTTP API checks, the URL a worker sends and the
 * `statusSource` shown are one and the same. One that does not parse (a job id in the host that is
 * no host name) is handed back as it is, for the request to fail with its reason.
 */
export function statusRequestUrl(statusUrl: string, jobId: string): string {
  const filled = statusUrl.replaceAll('{jobId}', encodeURIComponent(jobId));
  return URL.canParse(filled) ? new URL(filled).href : filled;
}
