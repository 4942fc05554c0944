/** Reads a dotted path (`status`, `data.state`, `items.0.status`) from a parsed JSON body. */
export function readField(body: unknown, path: string): unknown {
  let value: unknown = body;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The status at `path`, if it is a non-empty string (a number or boolean is taken as text). */
export function readStatus(body: unknown, path: string): string | undefined {
  const value = readField(body, path);
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
