import { z } from 'zod';
import { ConfigError, formatInputPath } from '../errors/errors.ts';
import { readJson } from '../json/bounded-json.ts';
import { MAX_JOB_STATUS_LENGTH, SOURCE_NAME_PATTERN } from '../monitor/input-limits.ts';
import { NAMESPACE_PATTERN, NAMESPACE_RULE } from '../monitor/namespace.ts';
import { limitFor, parseRateLimits, type RateLimit } from '../monitor/gate/rate-limits.ts';
import { rateKeyProblem } from '../monitor/gate/rate-key.ts';
import { CONVENTIONS } from './conventions/index.ts';
import { createMapping } from './mapping.ts';
import type { SourceReader } from './read-answer.ts';
import { authHeaderName, authSchema, HEADER_NAME, type SourceAuth } from './source-auth.ts';
import { describeIssue, wrongType } from './schema-messages.ts';
import { parseUrlTemplate, usesJobId, type UrlTemplate } from './url-template.ts';
import { parseFieldPath, type FieldPath } from './field-path.ts';

/**
 * The sources file: the job services people run, each named once with its URL, credentials and
 * how to read its answers, so that a monitor names a source instead of spelling all that out.
 * Validated here into a frozen `Sources`; the secrets it points at are resolved by the wiring.
 */

/** Where a source's requests go. */
export type SourceTarget =
  /** One request per check, to the template expanded for the job. @defaultValue method GET */
  | { readonly kind: 'url'; readonly template: UrlTemplate; readonly method: 'GET' | 'POST' }
  /** A batch endpoint, POSTed the ids of the source's monitors due together. */
  | { readonly kind: 'batch'; readonly template: UrlTemplate }
  /** A status hook module that makes its own requests. */
  | { readonly kind: 'hook'; readonly module: string }
  /** The URL the answer to the source's start request names (Location, Operation-Location, Azure-AsyncOperation). */
  | { readonly kind: 'answered' };

/**
 * The request that starts a job, which jobwatch sends itself for an operation (issue 20), then
 * watches what it answers: the URL its Location-style header names, or, with `jobIdPath`, the job
 * id its body holds, polled at the source's `url`.
 */
export interface SourceStart {
  readonly method: 'POST' | 'PUT';
  /** The start URL, with the source's params (never `{jobId}`: there is none yet). */
  readonly template: UrlTemplate;
  /** Where the job's id is in the answer's body; absent: the answer's header names what to watch. */
  readonly jobIdPath: FieldPath | undefined;
  /** The header the idempotency key goes in. @defaultValue Idempotency-Key */
  readonly idempotencyHeader: string;
}

/** The header an operation's start request carries its idempotency key in, unless its source names another. */
export const DEFAULT_IDEMPOTENCY_HEADER = 'Idempotency-Key';

export interface Source {
  readonly name: string;
  readonly target: SourceTarget;
  /** A convention, or the source's mapping (the deployment's vocabulary at `status` when it gives none). */
  readonly reader: SourceReader;
  readonly auth: SourceAuth | undefined;
  /** Static headers that are not secret, e.g. `Accept` or an API version. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * A CA bundle (PEM file) trusted for this source instead of the system's: a Kubernetes API
   * server's own CA, with a service account's bearer token. @defaultValue the system's CAs
   */
  readonly ca: string | undefined;
  /** What the source's requests are rate-limited, held and circuit-broken under. @defaultValue the source's name */
  readonly rateKey: string;
  /** The rate key's own limit, as JOBWATCH_RATE_LIMITS would give it. @defaultValue none */
  readonly rateLimit: RateLimit | undefined;
  /**
   * The namespaces whose monitors may read through this source (and so use its credentials);
   * others are refused with 403. @defaultValue every namespace
   */
  readonly namespaces: readonly string[] | undefined;
  /** Its start request, for operations; absent: monitors of jobs started elsewhere only. */
  readonly start: SourceStart | undefined;
  /**
   * Origins (`https://host[:port]`) besides the start URL's that a start answer may point at, and so
   * that get the source's credentials. @defaultValue none
   */
  readonly allowedOrigins: readonly string[];
}

/** Every source by name. Frozen: look one up with `sourceNamed`. */
export interface Sources {
  readonly byName: Readonly<Record<string, Source>>;
}

/** Most sources in one file. */
export const MAX_SOURCES = 1_000;
/** Largest sources file read. */
export const MAX_SOURCES_FILE_BYTES = 1024 * 1024;
/** Headers a source may not set statically: credentials go under `auth`, and these belong to the HTTP client. */
const RESERVED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'host', 'content-length', 'transfer-encoding', 'connection']);

const statusList = z.array(z.string().min(1, { error: 'must not be empty' }).max(MAX_JOB_STATUS_LENGTH), { error: wrongType('must be a list of statuses') })
  .min(1, { error: 'must list at least one status' }).max(100, { error: 'must list at most 100 statuses' });
const text = (what: string) => z.string({ error: wrongType(`must be ${what}`) }).min(1, { error: `must be ${what}` });

const sourceSchema = z.strictObject({
  url: text('a URL').optional(),
  params: z.array(z.string({ error: wrongType('must be a list of names') }), { error: wrongType('must be a list of names') }).optional(),
  method: z.enum(['GET', 'POST'], { error: 'must be GET or POST' }).optional(),
  headers: z.record(z.string(), z.string({ error: 'must be a text value' }), { error: 'must be an object of header names and values' }).optional(),
  hook: text('a module path').optional(),
  batch: text('a URL').optional(),
  convention: z.enum(CONVENTIONS, { error: `must be one of ${CONVENTIONS.join(', ')}` }).optional(),
  statusPath: text('a path').optional(),
  running: statusList.optional(),
  completed: statusList.optional(),
  failed: statusList.optional(),
  canceled: statusList.optional(),
  outputPath: text('a path').optional(),
  auth: authSchema.optional(),
  ca: text('a file path').optional(),
  rateKey: text('a rate key').optional(),
  rateLimit: text('a rate such as 10/s').optional(),
  start: z.strictObject({
    method: z.enum(['POST', 'PUT'], { error: 'must be POST or PUT' }).optional(),
    url: text('a URL'),
    jobIdPath: text('a path').optional(),
    idempotencyHeader: text('a header name').optional(),
  }, { error: wrongType('must be an object with "url"') }).optional(),
  allowedOrigins: z.array(text('an origin such as https://status.example.com'), { error: wrongType('must be a list of origins') }).max(20, { error: 'must list at most 20 origins' }).optional(),
  namespaces: z.array(z.string({ error: wrongType('must be a list of namespace names') }).regex(NAMESPACE_PATTERN, { error: `must each be ${NAMESPACE_RULE}` }), { error: wrongType('must be a list of namespace names') })
    .min(1, { error: 'must list at least one namespace (leave it out to open the source to every one)' }).optional(),
}, { error: wrongType('must be an object') });
type RawSource = z.infer<typeof sourceSchema>;

const fileSchema = z.strictObject({
  sources: z.record(z.string(), sourceSchema, { error: wrongType('must be an object of sources by name') }),
}, { error: wrongType('must be an object with "sources"') });

const MAPPING_FIELDS = ['statusPath', 'running', 'completed', 'failed', 'canceled', 'outputPath'] as const;

/** A field and what is wrong with it, inside one source. */
interface Problem { field: string; problem: string }

/**
 * Validates a parsed sources file. Throws ConfigError with one line naming the source and the
 * field: `JOBWATCH_SOURCES: source "runs": auth.bearer: needs "env" or "file", ...`.
 * @param origin - what the message opens with: the variable or flag the file came from.
 */
export function parseSources(input: unknown, origin = 'JOBWATCH_SOURCES'): Sources {
  const parsed = fileSchema.safeParse(input, { error: describeIssue });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [top, name, ...rest] = issue.path as (string | number)[];
    if (top !== 'sources' || name === undefined) throw new ConfigError(`${origin}: ${issue.path.length > 0 ? `${formatInputPath(issue.path as (string | number)[])}: ` : ''}${issue.message}`);
    throw sourceError(origin, String(name), { field: formatInputPath(rest), problem: issue.message });
  }
  const names = Object.keys(parsed.data.sources);
  if (names.length > MAX_SOURCES) throw new ConfigError(`${origin}: has ${names.length} sources; at most ${MAX_SOURCES}`);
  const byName: Record<string, Source> = {};
  for (const name of names) {
    const built = buildSource(name, parsed.data.sources[name]!);
    if ('problem' in built) throw sourceError(origin, name, built);
    byName[name] = deepFreeze(built);
  }
  return Object.freeze({ byName: Object.freeze(byName) });
}

/** Reads a sources file's text (JSON), then validates it as `parseSources` does. */
export function parseSourcesText(json: string, origin = 'JOBWATCH_SOURCES'): Sources {
  const read = readJson(json, { maxBytes: MAX_SOURCES_FILE_BYTES });
  if (!read.ok) throw new ConfigError(`${origin}: the sources file ${read.reason}`);
  return parseSources(read.value, origin);
}

/** The source of that name, or undefined. */
export function sourceNamed(sources: Sources, name: string): Source | undefined {
  return Object.hasOwn(sources.byName, name) ? sources.byName[name] : undefined;
}

function sourceError(origin: string, name: string, { field, problem }: Problem): ConfigError {
  return new ConfigError(`${origin}: source ${JSON.stringify(name)}: ${field === '' ? '' : `${field}: `}${problem}`);
}

function buildSource(name: string, raw: RawSource): Source | Problem {
  if (!SOURCE_NAME_PATTERN.test(name)) return { field: '', problem: 'the name must be 1-64 letters, digits, or . _ - (starting with a letter or digit)' };
  const target = buildTarget(raw);
  if ('problem' in target) return target;
  const reader = buildReader(raw, target);
  if ('problem' in reader) return reader;
  const headers = checkHeaders(raw.headers ?? {}, raw.auth);
  if (headers) return headers;
  if (target.kind === 'hook') {
    const misplaced = (['auth', 'headers', 'params', 'ca'] as const).find((field) => raw[field] !== undefined);
    if (misplaced) return { field: misplaced, problem: 'a hook source makes its own requests; give this with "url" or "batch"' };
  }
  if (raw.ca !== undefined && raw.auth?.kind === 'clientCert') return { field: 'ca', problem: 'give the CA once, as auth.clientCert.ca' };
  const rateKey = raw.rateKey ?? name;
  const keyProblem = rateKeyProblem(rateKey);
  if (keyProblem) return { field: 'rateKey', problem: keyProblem };
  const rateLimit = raw.rateLimit === undefined ? undefined : parseRate(rateKey, raw.rateLimit);
  if (rateLimit === null) return { field: 'rateLimit', problem: 'must be a rate such as 10/s, 600/m or 36000/h: more than 0 and at most 100000/s' };
  const start = buildStart(raw, target);
  if (start !== undefined && 'problem' in start) return start;
  const allowedOrigins = buildOrigins(raw);
  if (!Array.isArray(allowedOrigins)) return allowedOrigins as Problem;
  return { name, target, reader, auth: raw.auth, headers: { ...raw.headers }, ca: raw.ca, rateKey, rateLimit, namespaces: raw.namespaces, start, allowedOrigins };
}

function buildStart(raw: RawSource, target: SourceTarget): SourceStart | Problem | undefined {
  if (raw.start === undefined) return undefined;
  if (target.kind === 'batch' || target.kind === 'hook') return { field: 'start', problem: `goes with "url" (or alone), not with "${target.kind}"` };
  const template = parseStartTemplate(raw.start.url, raw.params ?? []);
  if ('problem' in template) return template;
  if (usesJobId(template)) return { field: 'start.url', problem: 'must not hold {jobId}: the job has no id until the start answers' };
  const jobIdPath = raw.start.jobIdPath === undefined ? undefined : parseFieldPath(raw.start.jobIdPath);
  if (jobIdPath && !jobIdPath.ok) return { field: 'start.jobIdPath', problem: jobIdPath.problem };
  if (jobIdPath && target.kind !== 'url') return { field: 'start.jobIdPath', problem: 'needs "url", where the job id it reads is polled, e.g. https://jobs.internal/v1/jobs/{jobId}' };
  if (!jobIdPath && target.kind === 'url') {
    return { field: 'url', problem: 'is polled with the job id that start.jobIdPath reads; without jobIdPath the start answer names the URL to watch, so leave url out' };
  }
  const header = raw.start.idempotencyHeader ?? DEFAULT_IDEMPOTENCY_HEADER;
  if (!HEADER_NAME.test(header)) return { field: 'start.idempotencyHeader', problem: 'must be a header name, e.g. Idempotency-Key' };
  return { method: raw.start.method ?? 'POST', template, jobIdPath: jobIdPath?.path, idempotencyHeader: header };
}

/** The start URL's template, which may hold only some of the source's params (the rest fill the poll URL). */
function parseStartTemplate(text: string, params: readonly string[]): UrlTemplate | Problem {
  const used = params.filter((name) => text.includes(`{${name}}`));
  const parsed = parseUrlTemplate(text, used);
  return parsed.ok ? parsed.template : { field: 'start.url', problem: parsed.problem };
}

function buildOrigins(raw: RawSource): string[] | Problem {
  const origins: string[] = [];
  for (const [i, text] of (raw.allowedOrigins ?? []).entries()) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { field: `allowedOrigins[${i}]`, problem: 'must be an origin such as https://status.example.com' };
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.origin === 'null' || `${url.origin}/` !== url.href.replace(/\/?$/, '/')) {
      return { field: `allowedOrigins[${i}]`, problem: 'must be an origin alone (scheme, host and port), such as https://status.example.com' };
    }
    origins.push(url.origin);
  }
  if (raw.allowedOrigins !== undefined && raw.start === undefined) return { field: 'allowedOrigins', problem: 'applies to a source with "start" only' };
  return origins;
}

function buildTarget(raw: RawSource): SourceTarget | Problem {
  const given = (['url', 'batch', 'hook'] as const).filter((field) => raw[field] !== undefined);
  // A source with a start request and no url watches the URL its start answers.
  if (given.length === 0 && raw.start !== undefined) return raw.method === undefined ? { kind: 'answered' } : { field: 'method', problem: 'applies to "url" only' };
  if (given.length !== 1) return { field: '', problem: 'give exactly one of "url", "batch" or "hook"' };
  if (raw.method !== undefined && raw.url === undefined) return { field: 'method', problem: 'applies to "url" only (a batch is always POSTed)' };
  if (raw.hook !== undefined) return { kind: 'hook', module: raw.hook };
  const field = raw.url !== undefined ? 'url' : 'batch';
  const parsed = parseUrlTemplate(raw[field]!, raw.params ?? []);
  if (!parsed.ok) return { field, problem: parsed.problem };
  if (field === 'batch') return { kind: 'batch', template: parsed.template };
  if (!usesJobId(parsed.template)) return { field, problem: 'must hold {jobId}, where the job\'s id goes, e.g. https://jobs.internal/v1/jobs/{jobId}' };
  return { kind: 'url', template: parsed.template, method: raw.method ?? 'GET' };
}

function buildReader(raw: RawSource, target: SourceTarget): SourceReader | Problem {
  const mappingField = MAPPING_FIELDS.find((field) => raw[field] !== undefined);
  if (raw.convention !== undefined) {
    if (mappingField) return { field: mappingField, problem: `give a convention or a mapping, not both ("${raw.convention}" reads the answer itself)` };
    if (target.kind !== 'url' && target.kind !== 'answered') return { field: 'convention', problem: 'needs "url" or "start": a convention reads the HTTP answer of one job' };
    return { kind: 'convention', convention: raw.convention };
  }
  const clash = listClash(raw);
  if (clash) return clash;
  const mapping = createMapping(raw);
  return mapping.ok ? { kind: 'mapping', mapping: mapping.mapping } : { field: mapping.field, problem: mapping.problem };
}

/** A status in two of a mapping's lists would mean two things. */
function listClash(raw: RawSource): Problem | undefined {
  const seen = new Map<string, string>();
  for (const list of ['running', 'completed', 'failed', 'canceled'] as const) {
    for (const status of raw[list] ?? []) {
      const key = status.toLowerCase().replace(/[\s_-]+/g, '');
      const other = seen.get(key);
      if (other !== undefined && other !== list) return { field: list, problem: `${JSON.stringify(status)} is also in ${other}` };
      seen.set(key, list);
    }
  }
  return undefined;
}

function checkHeaders(headers: Record<string, string>, auth: SourceAuth | undefined): Problem | undefined {
  const authHeader = authHeaderName(auth);
  for (const [name, value] of Object.entries(headers)) {
    const field = `headers.${name}`;
    if (!HEADER_NAME.test(name)) return { field, problem: 'must be a header name, e.g. Accept' };
    const lower = name.toLowerCase();
    if (lower === authHeader || RESERVED_HEADERS.has(lower)) return { field, problem: 'may not be set here: credentials go under "auth", and the HTTP client sets the rest' };
    if (/[\r\n\u0000]/.test(value) || value.length > 8_192) return { field, problem: 'must be one line of at most 8192 characters' };
  }
  return undefined;
}

/** The limit of a `rateLimit` such as `10/s`, read as JOBWATCH_RATE_LIMITS reads one; null if it is not one. */
function parseRate(rateKey: string, rate: string): RateLimit | null {
  if (/[,=]/.test(rate)) return null;
  const parsed = parseRateLimits(`${rateKey}=${rate}`);
  return parsed.ok ? (limitFor(parsed.limits, rateKey.toLowerCase()) ?? null) : null;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
