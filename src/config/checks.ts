import { z } from 'zod';
import { formatDuration, parseDuration } from '../time/durations.ts';

/**
 * How one environment variable is read: the zod schema that turns its text into a value (its
 * messages never name the variable; loadConfig prefixes it), what it accepts in words, and how a
 * value is written back, so the configuration page shows defaults as the variable would hold them.
 */
export interface Check<T> {
  readonly schema: z.ZodType<T>;
  readonly accepts: string;
  show(value: T): string;
}

export function duration(min: number, max: number): Check<number> {
  const schema = z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; use e.g. 500ms, 30s, 1m, 2h` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `${text} is out of range; use ${formatDuration(min)} to ${formatDuration(max)}` });
      return z.NEVER;
    }
    return ms;
  });
  return { schema, accepts: `a duration (\`500ms\`, \`30s\`, \`5m\`, \`2h\`, \`1d\`), ${formatDuration(min)} to ${formatDuration(max)}`, show: formatDuration };
}

export function integer(min: number, max: number): Check<number> {
  const schema = z.string().regex(/^\d+$/, { error: 'must be a whole number' }).transform(Number).pipe(
    z.number().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }),
  );
  return { schema, accepts: `a whole number, ${min} to ${max}`, show: String };
}

export const boolean: Check<boolean> = {
  schema: z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  accepts: '`true` or `false` (also `1`/`0`, `yes`/`no`)',
  show: String,
};

export function oneOf<const T extends readonly [string, ...string[]]>(values: T): Check<T[number]> {
  const list = values.join(', ');
  return {
    schema: z.enum(values, { error: `must be ${values.length === 2 ? values.join(' or ') : `one of ${list}`}` }),
    accepts: values.map((value) => `\`${value}\``).join(', '),
    show: String,
  };
}

/** Any text that passes `schema`; `accepts` says what in words. */
export function text(schema: z.ZodType<string, string>, accepts: string): Check<string> {
  return { schema, accepts, show: (value) => value };
}

/** A comma-separated list, spaces around entries ignored, at least one entry. */
export function commaList(entry: string, example: string): Check<readonly string[]> {
  const schema = z.string().transform((value) => Object.freeze(value.split(',').map((s) => s.trim()).filter(Boolean)))
    .refine((list) => list.length > 0, { error: `must list at least one ${entry}, e.g. ${example}` });
  return { schema, accepts: `a comma-separated list of ${entry}s, e.g. \`${example}\``, show: (list) => list.join(',') };
}

/** Text another module parses; `parse` answers a problem in words instead of throwing. */
export function parsed<T>(parse: (text: string) => { ok: true; value: T } | { ok: false; problem: string }, accepts: string, show: (value: T) => string): Check<T> {
  const schema = z.string().transform((value, ctx) => {
    const result = parse(value);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.problem });
    return z.NEVER;
  });
  return { schema, accepts, show };
}

export function canParseUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
