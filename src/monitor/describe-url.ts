import type { StatusSource } from './context.ts';

/** Where a monitor reads its status, for people: the URL described, `batch <url>`, `source <name>`, or `hook`. */
export function describeStatusSource(source: StatusSource): string {
  if (source.kind === 'http') return describeUrl(source.url);
  if (source.kind === 'source') return `source ${source.name}`;
  if (source.kind === 'batch') return `batch ${describeUrl(source.url)}`;
  return 'hook';
}

/** The URL without credentials or query string, which may carry tokens, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${safeDecode(parsed.pathname)}`;
  } catch {
    return '<invalid url>';
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}
