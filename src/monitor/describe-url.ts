import type { MonitorContext } from './context.ts';
import { statusRequestUrl } from './status-url.ts';

/**
 * Where a monitor reads its status, for people: the URL a poll fetches (job id filled in),
 * `batch <url>`, `source <name>`, or `hook`. URLs are described by describeUrl.
 */
export function describeStatusSource(monitor: Pick<MonitorContext, 'status' | 'jobId'>): string {
  const source = monitor.status;
  // An http monitor always has a job id; only an operation (always of a source) may lack one.
  if (source.kind === 'http') return describeUrl(monitor.jobId === null ? source.url : statusRequestUrl(source.url, monitor.jobId));
  if (source.kind === 'source') return source.url === undefined ? `source ${source.name}` : `source ${source.name} at ${describeUrl(source.url)}`;
  if (source.kind === 'batch') return `batch ${describeUrl(source.url)}`;
  return 'hook';
}

/**
 * The URL without credentials or query string, which may carry tokens, for messages and logs.
 * The path stays as it is sent, percent-encoding and all: shown decoded it would not be the URL
 * fetched (`%2f` shown as `/` is another path to the server).
 */
export function describeUrl(url: string): string {
  if (!URL.canParse(url)) return '<invalid url>';
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
