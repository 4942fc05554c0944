import { MAX_ID_LENGTH, MAX_SOURCE_PARAMS, MAX_STATUS_URL_LENGTH } from '../monitor/input-limits.ts';
import { LONE_SURROGATE } from '../json/unicode.ts';
import { SourceParamError } from './errors.ts';

/**
 * A source's URL template: `https://api.github.com/repos/{owner}/{repo}/actions/runs/{jobId}`.
 * `{jobId}` is the monitor's job id; every other placeholder is a param the source declares and
 * each monitor gives. A value fills one path segment (or one query value) and nothing more: it is
 * percent-encoded, and a value that could climb or change the path, even once a server decodes it
 * again, is refused. The host never holds a placeholder, so no value can change where a request
 * (and the source's credentials) go.
 */

/** The placeholder every source may use: the monitor's job id. */
export const JOB_ID_PLACEHOLDER = 'jobId';
/** What a param's name may be: it is also a key of the monitor's `params`. */
export const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Most times a value is percent-decoded while looking for a hidden `/`, `\` or dot segment. */
const MAX_DECODE_ROUNDS = 4;

export type TemplatePart =
  | { readonly kind: 'literal'; readonly text: string }
  /** `in`: a path placeholder fills (part of) one segment; a query placeholder, (part of) one value. */
  | { readonly kind: 'placeholder'; readonly name: string; readonly in: 'path' | 'query' };

export interface UrlTemplate {
  /** As written. */
  readonly text: string;
  /** The declared params, `jobId` not among them. */
  readonly params: readonly string[];
  readonly parts: readonly TemplatePart[];
}

export type ParsedUrlTemplate = { ok: true; template: UrlTemplate } | { ok: false; problem: string };

/**
 * Checks a template against the params a source declares. Never throws: a bad template comes back
 * as one line naming the fault, e.g. `{org} is not a declared param; add "org" to params`.
 */
export function parseUrlTemplate(text: string, params: readonly string[] = []): ParsedUrlTemplate {
  const problem = paramsProblem(params) ?? shapeProblem(text);
  if (problem) return { ok: false, problem };
  const split = splitTemplate(text);
  if (typeof split === 'string') return { ok: false, problem: split };
  const used = new Set(split.flatMap((part) => (part.kind === 'placeholder' ? [part.name] : [])));
  for (const name of used) {
    if (name !== JOB_ID_PLACEHOLDER && !params.includes(name)) return { ok: false, problem: `{${name}} is not a declared param; add "${name}" to params` };
  }
  const unused = params.find((name) => !used.has(name));
  if (unused !== undefined) return { ok: false, problem: `declares the param "${unused}" but has no {${unused}} placeholder` };
  return { ok: true, template: Object.freeze({ text, params: Object.freeze([...params]), parts: Object.freeze(split) }) };
}

/** Whether the template uses `{jobId}`: a source's `url` must, a batch endpoint need not. */
export function usesJobId(template: UrlTemplate): boolean {
  return template.parts.some((part) => part.kind === 'placeholder' && part.name === JOB_ID_PLACEHOLDER);
}

/**
 * The URL for one job. Throws SourceParamError naming the param when a value is missing, not
 * declared, or unsafe (see `placeholderValueProblem`).
 */
export function expandUrlTemplate(template: UrlTemplate, jobId: string, params: Readonly<Record<string, string>> = {}): string {
  const given = Object.keys(params);
  const extra = given.find((name) => !template.params.includes(name));
  if (extra !== undefined) {
    const takes = template.params.length === 0 ? 'it takes none' : `it takes ${template.params.join(', ')}`;
    throw new SourceParamError(extra, `is not a param of this source; ${takes}`);
  }
  const missing = template.params.find((name) => !Object.hasOwn(params, name));
  if (missing !== undefined) throw new SourceParamError(missing, 'is required by the source\'s URL');
  return template.parts.map((part) => {
    if (part.kind === 'literal') return part.text;
    const value = part.name === JOB_ID_PLACEHOLDER ? jobId : params[part.name];
    const problem = placeholderValueProblem(value, part.in);
    if (problem) throw new SourceParamError(part.name, problem);
    return encodeURIComponent(value as string);
  }).join('');
}

/**
 * Why a value cannot fill a placeholder, or undefined when it can. Any value must be a non-empty
 * string of valid Unicode; a path value must also not be `.` or `..` nor hold `/` or `\`, neither
 * as written nor after being percent-decoded (once or again: `%2e%2e`, `..%2f`, `%5c`, `%252e`),
 * because a server or proxy that decodes once more would then climb out of the path.
 */
export function placeholderValueProblem(value: unknown, where: 'path' | 'query'): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_ID_LENGTH) return `must be at most ${MAX_ID_LENGTH} characters`;
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (it holds half a surrogate pair)';
  if (where === 'query') return undefined;
  let decoded = value;
  for (let round = 0; ; round++) {
    if (decoded === '.' || decoded === '..') return 'must not be . or .. (not even percent-encoded): it would climb the URL\'s path';
    if (/[/\\]/.test(decoded)) return 'must not hold / or \\ (not even percent-encoded, as %2f or %5c): it would change the URL\'s path';
    const next = decodeOnce(decoded);
    if (next === decoded) return undefined;
    if (round === MAX_DECODE_ROUNDS) return 'is percent-encoded too many times over';
    decoded = next;
  }
}

function decodeOnce(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // A lone `%` is a literal percent sign, which encodeURIComponent turns into %25.
  }
}

function paramsProblem(params: readonly string[]): string | undefined {
  if (params.length > MAX_SOURCE_PARAMS) return `declares ${params.length} params; at most ${MAX_SOURCE_PARAMS}`;
  const bad = params.find((name) => !PARAM_NAME_PATTERN.test(name));
  if (bad !== undefined) return `param "${bad}" must be a name of letters, digits and _, e.g. owner`;
  if (params.includes(JOB_ID_PLACEHOLDER)) return `"${JOB_ID_PLACEHOLDER}" is always a placeholder; do not declare it as a param`;
  const twice = params.find((name, i) => params.indexOf(name) !== i);
  return twice === undefined ? undefined : `declares the param "${twice}" twice`;
}

/** The template as a URL: http(s), a host with no placeholder, no credentials, no placeholder in the fragment. */
function shapeProblem(text: string): string | undefined {
  if (text.length > MAX_STATUS_URL_LENGTH) return `must be at most ${MAX_STATUS_URL_LENGTH} characters`;
  const scheme = /^https?:\/\//i.exec(text);
  if (!scheme) return 'must be an http:// or https:// URL, e.g. https://jobs.internal/v1/jobs/{jobId}';
  const authority = /^[^/?#]*/.exec(text.slice(scheme[0].length))![0];
  // `https:///{jobId}` parses with the job id as its host: the host must be written out.
  if (authority === '') return 'must name a host, e.g. https://jobs.internal/v1/jobs/{jobId}';
  if (/[{}]/.test(authority)) return 'must not have a placeholder in its host or port: a param may not choose where requests go';
  if (authority.includes('@')) return 'must not hold credentials; give them under auth';
  const hash = text.indexOf('#');
  if (hash >= 0 && /[{}]/.test(text.slice(hash))) return 'must not have a placeholder in its #fragment';
  let sample: URL;
  try {
    sample = new URL(text.replace(/\{[^{}]*\}/g, 'x'));
  } catch {
    return 'is not a valid URL once its placeholders are filled';
  }
  // The host as the template writes it, placeholders or not: nothing after it may become the host.
  return sample.host === hostOf(`${scheme[0]}${authority}`) ? undefined : 'must name its host before the first /';
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** The template cut into literals and placeholders, or why it cannot be. */
function splitTemplate(text: string): TemplatePart[] | string {
  const parts: TemplatePart[] = [];
  const queryAt = text.indexOf('?');
  let at = 0;
  for (const match of text.matchAll(/\{([^{}]*)\}/g)) {
    const literal = text.slice(at, match.index);
    if (/[{}]/.test(literal)) return 'has a { or } that opens or closes no placeholder';
    const name = match[1]!;
    if (!PARAM_NAME_PATTERN.test(name)) return `placeholder {${name}} must be a name of letters, digits and _, e.g. {owner}`;
    if (literal !== '') parts.push({ kind: 'literal', text: literal });
    parts.push({ kind: 'placeholder', name, in: queryAt >= 0 && match.index > queryAt ? 'query' : 'path' });
    at = match.index + match[0].length;
  }
  const rest = text.slice(at);
  if (/[{}]/.test(rest)) return 'has a { or } that opens or closes no placeholder';
  if (rest !== '') parts.push({ kind: 'literal', text: rest });
  return parts;
}
