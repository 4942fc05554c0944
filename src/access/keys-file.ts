import { z } from 'zod';
import { ConfigError, formatInputPath } from '../errors/errors.ts';
import { readJson } from '../json/bounded-json.ts';
import { NAMESPACE_PATTERN, NAMESPACE_RULE } from '../monitor/namespace.ts';
import { describeIssue, wrongType } from '../sources/schema-messages.ts';
import { HASH_PATTERN } from './key-secret.ts';
import { ALL_NAMESPACES, SCOPES, type Principal, type Scope } from './principal.ts';
import type { QuotaLimits } from './quotas.ts';

/**
 * The keys file (JOBWATCH_KEYS_FILE): every API key of a deployment by name, with what it may do
 * and where, and only the digest of its secret. Parsed and validated here, without I/O; the
 * key store (src/keys/) reads the file and reloads it when it changes.
 *
 * ```json
 * { "keys": [
 *   { "name": "ci", "hash": "sha256:…", "namespaces": ["team-a"], "scopes": ["read", "start"],
 *     "expiresAt": "2027-06-30T00:00:00Z", "quotas": { "runningMonitors": 5000, "startsPerSecond": null } }
 * ] }
 * ```
 */

/** One key as the file describes it. Frozen. */
export interface KeyEntry {
  /** Unique in the file; what logs, `keys list`, last use and 403s name. */
  readonly name: string;
  /** `sha256:` and the hex digest of the key (see key-secret.ts). */
  readonly hash: string;
  readonly namespaces: Principal['namespaces'];
  readonly scopes: readonly Scope[];
  /** When the key stops working, as written (ISO 8601 with a zone); absent: never. */
  readonly expiresAt?: string;
  /** When `jobwatch keys create` made it; for people only. */
  readonly createdAt?: string;
  /** This key's own quotas over the namespace defaults; `Infinity` where the file says `null` (no ceiling). */
  readonly quotas?: Partial<QuotaLimits>;
}

/** A parsed keys file: its entries in file order, and each by the digest a request's key is looked up by. */
export interface KeyTable {
  readonly entries: readonly KeyEntry[];
  readonly byHash: ReadonlyMap<string, KeyEntry>;
}

/** Largest keys file read. */
export const MAX_KEYS_FILE_BYTES = 1024 * 1024;
/** Most keys in one file. */
export const MAX_KEYS = 10_000;
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const KEY_NAME_RULE = '1-64 letters, digits, or . _ - (starting with a letter or digit)';
/** Names jobwatch gives principals that are not keys of the file: a key may not take them. */
export const RESERVED_KEY_NAMES = ['api-token', 'anonymous'] as const;

const QUOTA_FIELDS = ['runningMonitors', 'startsPerSecond', 'earlyPushes', 'earlyPushBytes'] as const satisfies readonly (keyof QuotaLimits)[];

const QUOTA_RULE = 'must be a number of at least 0, or null for no ceiling';
const quotaValue = z.union([z.number({ error: QUOTA_RULE }).min(0, { error: QUOTA_RULE }).finite({ error: QUOTA_RULE }), z.null()], { error: QUOTA_RULE });
const quotasSchema = z.strictObject(Object.fromEntries(QUOTA_FIELDS.map((field) => [field, quotaValue.optional()])) as Record<(typeof QUOTA_FIELDS)[number], z.ZodOptional<typeof quotaValue>>,
  { error: wrongType(`must be an object of quotas (${QUOTA_FIELDS.join(', ')})`) });

const namespacesSchema = z.union([
  z.literal(ALL_NAMESPACES),
  z.array(z.string().regex(NAMESPACE_PATTERN, { error: `each must be a namespace name: ${NAMESPACE_RULE}` }), { error: 'must be "*" or a list of namespaces' })
    .min(1, { error: 'must list at least one namespace, or be "*"' }),
], { error: 'must be "*" or a list of namespaces' });

const isoTime = (what: string) => z.iso.datetime({ offset: true, error: `must be an ISO time with a zone, e.g. 2027-06-30T00:00:00Z (${what})` });

const entrySchema = z.strictObject({
  name: z.string({ error: wrongType('must be text') }).regex(KEY_NAME_PATTERN, { error: `must be ${KEY_NAME_RULE}` })
    .refine((name) => !(RESERVED_KEY_NAMES as readonly string[]).includes(name), { error: `is reserved (${RESERVED_KEY_NAMES.join(', ')}); choose another` }),
  hash: z.string({ error: wrongType('must be text') }).regex(HASH_PATTERN, { error: 'must be "sha256:" and 64 lowercase hex digits; keys are added with `jobwatch keys create`' }),
  namespaces: namespacesSchema,
  scopes: z.array(z.enum(SCOPES, { error: `each must be one of ${SCOPES.join(', ')}` }), { error: wrongType('must be a list of scopes') })
    .min(1, { error: `must list at least one scope of ${SCOPES.join(', ')}` }),
  expiresAt: isoTime('when the key stops working').optional(),
  createdAt: isoTime('when it was made').optional(),
  quotas: quotasSchema.optional(),
}, { error: wrongType('must be an object') });
type RawEntry = z.infer<typeof entrySchema>;

const fileSchema = z.strictObject({
  keys: z.array(z.unknown(), { error: wrongType('must be a list of keys') }).max(MAX_KEYS, { error: `must hold at most ${MAX_KEYS} keys` }),
}, { error: wrongType('must be an object with "keys"') });

/**
 * Validates a parsed keys file. Throws ConfigError with one line naming the key and the field:
 * `JOBWATCH_KEYS_FILE ./keys.json: key "ci": scopes: each must be one of read, start, ...`.
 * @param origin - what the message opens with: the variable and the file's path.
 */
export function parseKeys(input: unknown, origin: string): KeyTable {
  const file = fileSchema.safeParse(input, { error: describeIssue });
  if (!file.success) {
    const issue = file.error.issues[0]!;
    throw new ConfigError(`${origin}: ${issue.path.length > 0 ? `${formatInputPath(issue.path as (string | number)[])}: ` : ''}${issue.message}`);
  }
  const entries: KeyEntry[] = [];
  const byHash = new Map<string, KeyEntry>();
  const names = new Set<string>();
  file.data.keys.forEach((raw, index) => {
    const entry = parseEntry(raw, index, origin);
    if (names.has(entry.name)) throw new ConfigError(`${origin}: key ${JSON.stringify(entry.name)}: name: is used by another key; names must be unique`);
    if (byHash.has(entry.hash)) throw new ConfigError(`${origin}: key ${JSON.stringify(entry.name)}: hash: is the hash of key ${JSON.stringify(byHash.get(entry.hash)!.name)} too`);
    names.add(entry.name);
    byHash.set(entry.hash, entry);
    entries.push(entry);
  });
  return Object.freeze({ entries: Object.freeze(entries), byHash });
}

/** Reads a keys file's text (JSON), then validates it as `parseKeys` does. */
export function parseKeysText(text: string, origin: string): KeyTable {
  const read = readJson(text, { maxBytes: MAX_KEYS_FILE_BYTES });
  if (!read.ok) throw new ConfigError(`${origin}: the keys file ${read.reason}`);
  return parseKeys(read.value, origin);
}

/** The file's text for these entries: what `jobwatch keys` writes (null again for a quota without ceiling). */
export function formatKeys(entries: readonly KeyEntry[]): string {
  const keys = entries.map(({ quotas, ...entry }) => ({
    ...entry,
    ...(quotas ? { quotas: Object.fromEntries(Object.entries(quotas).map(([field, value]) => [field, value === Infinity ? null : value])) } : {}),
  }));
  return `${JSON.stringify({ keys }, null, 2)}\n`;
}

/** An empty keys file's table: what `keys create` starts from when there is no file yet. */
export const NO_KEYS: KeyTable = Object.freeze({ entries: Object.freeze([]), byHash: new Map() });

function parseEntry(raw: unknown, index: number, origin: string): KeyEntry {
  const parsed = entrySchema.safeParse(raw, { error: describeIssue });
  if (parsed.success) return buildEntry(parsed.data);
  const issue = parsed.error.issues[0]!;
  const name = (raw as { name?: unknown } | null)?.name;
  const which = typeof name === 'string' && KEY_NAME_PATTERN.test(name) ? `key ${JSON.stringify(name)}` : `keys[${index}]`;
  const field = issue.path.length > 0 ? `${formatInputPath(issue.path as (string | number)[])}: ` : '';
  throw new ConfigError(`${origin}: ${which}: ${field}${issue.message}`);
}

function buildEntry(raw: RawEntry): KeyEntry {
  const entry: KeyEntry = {
    name: raw.name,
    hash: raw.hash,
    namespaces: raw.namespaces === ALL_NAMESPACES ? ALL_NAMESPACES : Object.freeze([...new Set(raw.namespaces)]),
    scopes: Object.freeze([...new Set(raw.scopes)]),
    ...(raw.expiresAt === undefined ? {} : { expiresAt: raw.expiresAt }),
    ...(raw.createdAt === undefined ? {} : { createdAt: raw.createdAt }),
    ...(raw.quotas === undefined ? {} : { quotas: Object.freeze(quotasOf(raw.quotas)) }),
  };
  return Object.freeze(entry);
}

function quotasOf(raw: NonNullable<RawEntry['quotas']>): Partial<QuotaLimits> {
  const quotas: Partial<QuotaLimits> = {};
  for (const field of QUOTA_FIELDS) {
    const value = raw[field];
    if (value !== undefined) quotas[field] = value ?? Infinity;
  }
  return quotas;
}

/** When an entry stops working, in epoch ms; undefined: never. */
export function expiryOf(entry: KeyEntry): number | undefined {
  return entry.expiresAt === undefined ? undefined : Date.parse(entry.expiresAt);
}

/** The principal a request authenticated by this key acts as. */
export function principalOf(entry: KeyEntry): Principal {
  return { name: entry.name, namespaces: entry.namespaces, scopes: entry.scopes, ...(entry.quotas ? { quotas: entry.quotas } : {}) };
}
