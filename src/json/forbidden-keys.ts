import { MAX_JSON_DEPTH } from './bounded-json.ts';

/**
 * Keys that are JavaScript's prototype machinery. JSON.parse makes `__proto__` an ordinary key,
 * but the first copy into a new object (a schema's parse, a spread, a merge) sets the copy's
 * prototype instead, so it vanishes silently or, in whoever reads the value later, pollutes
 * `Object.prototype`. Refused where they come in, named, rather than dropped.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The path to the first forbidden key in a JSON value, at any depth (to `maxDepth`: deeper is the
 * depth check's problem); undefined if none. Without recursion, and safe on cycles.
 */
export function findForbiddenKey(root: unknown, maxDepth = MAX_JSON_DEPTH): (string | number)[] | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object' || seen.has(value) || path.length > maxDepth) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({ value: item, path: [...path, index] }));
      continue;
    }
    const keys = Object.keys(value);
    const forbidden = keys.find((key) => FORBIDDEN_KEYS.has(key));
    if (forbidden !== undefined) return [...path, forbidden];
    for (const key of keys) stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
  }
  return undefined;
}
