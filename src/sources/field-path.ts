import { MAX_STATUS_FIELD_LENGTH } from '../monitor/input-limits.ts';

/**
 * Paths into a status body: `state.phase`, `items.0.status` or `items[0].status`, and array
 * filters for lists of conditions, as Kubernetes writes them: `status.conditions[type=Complete].status`
 * picks the first element of `conditions` whose `type` is `Complete`. Parsed once, where the source
 * is validated; read at every check.
 */

export type PathStep =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly index: number }
  /** The first array element whose `key` is `value` (compared as text). */
  | { readonly kind: 'filter'; readonly key: string; readonly value: string };

export interface FieldPath {
  /** As written, for messages: `status.conditions[type=Complete].status`. */
  readonly text: string;
  readonly steps: readonly PathStep[];
}

export type ParsedFieldPath = { ok: true; path: FieldPath } | { ok: false; problem: string };

const NAME = '[^.\\[\\]=]+';
const SEGMENT = new RegExp(`^(${NAME})?((?:\\[[^\\[\\]]*\\])*)$`);
const BRACKET = /\[([^\[\]]*)\]/g;
const FILTER = new RegExp(`^(${NAME})=([^\\[\\]]*)$`);
const EXAMPLE = 'e.g. state.phase, items[0].status or status.conditions[type=Complete].status';

/** Parses a path; never throws: a bad one comes back as one line naming the fault. */
export function parseFieldPath(text: string): ParsedFieldPath {
  if (text.length === 0 || text.length > MAX_STATUS_FIELD_LENGTH) {
    return { ok: false, problem: `must be 1 to ${MAX_STATUS_FIELD_LENGTH} characters, ${EXAMPLE}` };
  }
  const steps: PathStep[] = [];
  for (const segment of text.split('.')) {
    const match = SEGMENT.exec(segment);
    if (!match || segment === '') return { ok: false, problem: `has an empty or malformed part "${segment}"; ${EXAMPLE}` };
    if (match[1] !== undefined) steps.push(/^\d+$/.test(match[1]) ? { kind: 'index', index: Number(match[1]) } : { kind: 'key', key: match[1] });
    for (const [, inside] of match[2]!.matchAll(BRACKET)) {
      const step = bracketStep(inside!);
      if (!step) return { ok: false, problem: `has a bracket [${inside}] that is neither an index nor key=value; ${EXAMPLE}` };
      steps.push(step);
    }
  }
  return { ok: true, path: Object.freeze({ text, steps: Object.freeze(steps) }) };
}

function bracketStep(inside: string): PathStep | undefined {
  if (/^\d+$/.test(inside)) return { kind: 'index', index: Number(inside) };
  const filter = FILTER.exec(inside);
  return filter ? { kind: 'filter', key: filter[1]!, value: filter[2]! } : undefined;
}

/**
 * The value at a path, or undefined. Only a body's own members are read (never `constructor` or
 * `__proto__` through the prototype); a number step reads an array element or an object's member
 * of that name, as `items.0` always has.
 */
export function readPath(body: unknown, path: FieldPath): unknown {
  let value: unknown = body;
  for (const step of path.steps) {
    if (value === null || typeof value !== 'object') return undefined;
    if (step.kind === 'filter') {
      if (!Array.isArray(value)) return undefined;
      value = value.find((item) => memberText(item, step.key) === step.value);
      continue;
    }
    const key = step.kind === 'key' ? step.key : String(step.index);
    value = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/** A status read at a path: a non-blank string, or a number or boolean as text; undefined otherwise. */
export function readStatusAt(body: unknown, path: FieldPath): string | undefined {
  return statusText(readPath(body, path));
}

/** A value as a status: a non-blank string, or a number or boolean as text. */
export function statusText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function memberText(item: unknown, key: string): string | undefined {
  if (item === null || typeof item !== 'object' || !Object.hasOwn(item, key)) return undefined;
  return statusText((item as Record<string, unknown>)[key]);
}
