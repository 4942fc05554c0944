import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { coerceError } from '../errors/errors.ts';
import { formatDuration, parseDuration } from '../time/durations.ts';
import { parseSourcesText, type Sources } from '../sources/sources-file.ts';
import { describeRateLimits, parseRateLimits } from '../monitor/gate/rate-limits.ts';
import { MAX_QUOTA, parseNamespaceQuotas } from '../access/namespace-quotas.ts';
import type { NamespaceQuotas } from '../access/quotas.ts';

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

/** A share, 0 to 1 (OTEL_TRACES_SAMPLER_ARG). */
export const ratio: Check<number> = {
  schema: z.string().regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, { error: 'must be a number from 0 to 1, e.g. 0.1' }).transform(Number),
  accepts: 'a number from 0 to 1',
  show: String,
};

/** A switch that any value turns on: set or unset, as shells and CI runners set it (`JOBWATCH_DEBUG=1`). */
export const present: Check<boolean> = {
  schema: z.string().transform(() => true),
  accepts: 'any value turns it on',
  show: (on) => (on ? '1' : ''),
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

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Shortest API token or callback secret accepted: shorter ones can be guessed. */
export const MIN_API_TOKEN_LENGTH = 16;

// Messages never echo the value: it is a secret.
export const secret = text(z.string()
  .min(MIN_API_TOKEN_LENGTH, { error: `must be at least ${MIN_API_TOKEN_LENGTH} characters; generate one with \`openssl rand -hex 32\`` })
  .regex(/^[\x21-\x7e]+$/, { error: 'must be visible ASCII characters without spaces, e.g. from `openssl rand -hex 32`' }),
`at least ${MIN_API_TOKEN_LENGTH} visible ASCII characters, e.g. from \`openssl rand -hex 32\``);

export const httpUrl = (example: string) => text(z.string().refine((value) => /^https?:\/\//.test(value) && canParseUrl(value), {
  error: `must be an http:// or https:// URL, e.g. ${example}`,
}), 'an http:// or https:// URL');

/** A retention: `off`, or a duration of at least a minute. */
export const retention: Check<number | undefined> = {
  schema: z.union([z.literal('off').transform(() => undefined), duration(60_000, 100 * 365 * DAY).schema], {
    error: 'must be off or a duration of at least 1m, such as 30d',
  }),
  accepts: '`off`, or a duration of at least `1m`, e.g. `30d`',
  show: (ms) => (ms === undefined ? 'off' : formatDuration(ms)),
};

export const clusterNodes = parsed((value) => {
  const nodes = value.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const match = /^([^:\s]+):(\d{1,5})$/.exec(entry);
    return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
  });
  if (nodes.length === 0 || nodes.some((node) => !node || node.port < 1 || node.port > 65_535)) {
    return { ok: false, problem: 'must be host:port pairs separated by commas, e.g. 10.0.0.1:7000,10.0.0.2:7000' };
  }
  return { ok: true, value: Object.freeze(nodes as { host: string; port: number }[]) as readonly { host: string; port: number }[] };
}, '`host:port` pairs separated by commas, e.g. `10.0.0.1:7000,10.0.0.2:7000`', (nodes) => nodes.map(({ host, port }) => `${host}:${port}`).join(','));

export const rateLimits = parsed((value) => {
  const result = parseRateLimits(value);
  return result.ok ? { ok: true, value: result.limits } : result;
}, '`KEY=N/s`, `N/m` or `N/h` entries separated by commas; `*` is each key not listed', describeRateLimits);

/** `JOBWATCH_ALLOWED_STATUS_URLS=sources`: the API takes no status, batch or notification URL, only monitors of named sources. */
export const SOURCES_ONLY = 'sources';

/** Which status URLs the HTTP API accepts: those under the listed prefixes, or none (`sources`: named sources only). */
export type StatusUrlRule = readonly string[] | typeof SOURCES_ONLY;

const statusUrlPrefixList = commaList('URL prefix', 'https://jobs.internal/').schema
  .refine((list) => list.every(isHttpPrefix), { error: `each entry must be an http:// or https:// URL, e.g. https://jobs.internal/api/ (or the whole value ${SOURCES_ONLY})` });

/** Status URL prefixes the HTTP API accepts, or `sources` (JOBWATCH_ALLOWED_STATUS_URLS). */
export const statusUrlRule: Check<StatusUrlRule> = {
  schema: z.string().transform((value, ctx): StatusUrlRule => {
    if (value.trim() === SOURCES_ONLY) return SOURCES_ONLY;
    const prefixes = statusUrlPrefixList.safeParse(value);
    if (prefixes.success) return prefixes.data;
    ctx.addIssue({ code: 'custom', message: prefixes.error.issues[0]!.message });
    return z.NEVER;
  }),
  accepts: 'comma-separated http(s) URL prefixes without credentials or `{jobId}`, e.g. `https://jobs.internal/`; or `sources`: ' +
    'no URL at all, only monitors of named sources',
  show: (rule) => (rule === SOURCES_ONLY ? rule : rule.join(',')),
};

/** An http(s) URL without `{jobId}` or credentials, usable as a status URL prefix. */
function isHttpPrefix(value: string): boolean {
  if (!/^https?:\/\//.test(value) || value.includes('{') || !canParseUrl(value)) return false;
  const url = new URL(value);
  return url.username === '' && url.password === '';
}

/**
 * A sources file, read and validated where the config is loaded, so that every entry point (the
 * library client, the CLI, the server, the worker) has the same frozen `Sources` or refuses to
 * start with one line naming the file, the source and the field. The file names where secrets are,
 * never a secret: it is read here, its secrets only at each request.
 */
export const sourcesFile: Check<Sources> = {
  schema: z.string().transform((path, ctx) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `cannot read the sources file ${path}: ${(error as NodeJS.ErrnoException).code ?? coerceError(error).message}` });
      return z.NEVER;
    }
    try {
      return parseSourcesText(text, path);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: coerceError(error).message });
      return z.NEVER;
    }
  }),
  accepts: 'the path of a JSON sources file (see [Watch a real service](sources.md))',
  show: (sources) => Object.keys(sources.byName).join(','),
};

/** A quota: a whole number (0 refuses everything), or `off` for no ceiling (Infinity). */
export const quota: Check<number> = {
  schema: z.union([
    z.literal('off').transform(() => Infinity),
    integer(0, MAX_QUOTA).schema,
  ], { error: `must be a whole number from 0 to ${MAX_QUOTA}, or off` }),
  accepts: `a whole number, 0 to ${MAX_QUOTA}, or \`off\` (no quota)`,
  show: (value) => (value === Infinity ? 'off' : String(value)),
};

/**
 * Per-namespace quotas (JOBWATCH_NAMESPACE_QUOTAS): JSON in the variable itself when it starts
 * with `{`, otherwise the path of a file that holds it; read once, at start-up.
 */
export const namespaceQuotas: Check<NamespaceQuotas> = {
  schema: z.string().transform((value, ctx) => {
    let text = value;
    let where = '';
    if (!value.trimStart().startsWith('{')) {
      try {
        text = readFileSync(value, 'utf8');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `cannot read the quotas file ${value}: ${(error as NodeJS.ErrnoException).code ?? coerceError(error).message}` });
        return z.NEVER;
      }
      where = ` (in ${value})`;
    }
    const parsed = parseNamespaceQuotas(text);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: `${parsed.problem}${where}` });
    return z.NEVER;
  }),
  accepts: 'JSON, or the path of a JSON file: `{"team-a": {"runningMonitors": 5000, "startsPerSecond": "off"}}`',
  show: (namespaces) => JSON.stringify(namespaces),
};
