/**
 * The one way JSON from outside is read: API bodies, status bodies and status hook answers. It is
 * bounded in size and depth and never throws, so a hostile body becomes a problem with a name
 * instead of a RangeError deep in a stringify (V8 parses any depth, but stringify and zod recurse).
 */

/** Deepest nesting accepted from outside; status bodies and metadata are far shallower in practice. */
export const MAX_JSON_DEPTH = 64;

export interface JsonLimits {
  /** Largest input, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting of objects and arrays; a scalar at the top is depth 0. @defaultValue MAX_JSON_DEPTH */
  maxDepth?: number;
}

/** Why input is not usable JSON. */
export type JsonProblem = 'too-large' | 'not-utf8' | 'not-json' | 'too-deep';

export type JsonReading =
  | { ok: true; value: unknown; bytes: number }
  | {
    ok: false;
    problem: JsonProblem;
    /** What is wrong, without the value, e.g. `is nested deeper than 64 levels`. */
    reason: string;
    /** Where the problem sits: for `too-deep`, the path to the first value nested too deep. */
    path: (string | number)[];
  };

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Reads JSON from bytes (checked to be UTF-8) or from text. */
export function readJson(input: Uint8Array | string, limits: JsonLimits): JsonReading {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (bytes > limits.maxBytes) return problem('too-large', `is ${bytes} bytes, more than the limit of ${limits.maxBytes}`);
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = UTF8.decode(input);
    } catch {
      return problem('not-utf8', 'is not valid UTF-8');
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return problem('not-json', 'is not valid JSON');
  }
  const tooDeep = findTooDeep(value, limits.maxDepth ?? MAX_JSON_DEPTH);
  if (tooDeep) return problem('too-deep', `is nested deeper than ${limits.maxDepth ?? MAX_JSON_DEPTH} levels`, tooDeep);
  return { ok: true, value, bytes };
}

/**
 * Makes a plain JSON copy of a value handed over by code (a status hook's answer, a library
 * caller's metadata): cycles, BigInts, deep nesting and size are problems, not throws. Getters run
 * once, here.
 */
export function toBoundedJson(value: unknown, limits: JsonLimits): JsonReading {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  let text: string | undefined;
  try {
    // Checked before stringify, which recurses: a value deep enough overflows the stack.
    const tooDeep = findTooDeep(value, maxDepth);
    if (tooDeep) return problem('too-deep', `is nested deeper than ${maxDepth} levels`, tooDeep);
    text = JSON.stringify(value);
  } catch (error) {
    return problem('not-json', `is not plain JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return readJson(text ?? 'null', limits);
}

/** The path to the first value nested more than `maxDepth` deep, without recursion; undefined if none is. */
export function findTooDeep(root: unknown, maxDepth: number): (string | number)[] | undefined {
  interface Entry { value: unknown; depth: number; key: string | number; parent: Entry | undefined }
  const stack: Entry[] = [{ value: root, depth: 0, key: '', parent: undefined }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const { value } = entry;
    if (value === null || typeof value !== 'object') continue;
    if (entry.depth >= maxDepth) return pathOf(entry);
    // A cycle is left to the caller's stringify, which names it; here it must only not loop.
    if (seen.has(value)) continue;
    seen.add(value);
    const children: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
    for (const [key, child] of children) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: entry.depth + 1, key, parent: entry });
    }
  }
  return undefined;

  function pathOf(entry: Entry): (string | number)[] {
    const path: (string | number)[] = [];
    for (let at: Entry | undefined = entry; at?.parent; at = at.parent) path.unshift(at.key);
    return path;
  }
}

function problem(kind: JsonProblem, reason: string, path: (string | number)[] = []): JsonReading {
  return { ok: false, problem: kind, reason, path };
}
