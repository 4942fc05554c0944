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
