import { InvalidInputError } from '../errors/errors.ts';
import { NAMESPACE_PATTERN, NAMESPACE_RULE } from '../monitor/namespace.ts';
import { generateKey, hashKey } from './key-secret.ts';
import { KEY_NAME_PATTERN, KEY_NAME_RULE, RESERVED_KEY_NAMES, type KeyEntry, type KeyTable } from './keys-file.ts';
import { ALL_NAMESPACES, SCOPES, type Principal, type Scope } from './principal.ts';

/**
 * What `jobwatch keys create` and `revoke` do to a keys file's entries, without the file: the
 * flags' values checked, a new key made, its entry built. Each bad value is an InvalidInputError
 * naming its flag.
 */

export interface NewKeySpec {
  name: string;
  /** `read,start`, as `--scopes` gives it. */
  scopes: string;
  /** Each `--namespace`: names, or `*` alone. */
  namespaces: readonly string[];
  /** When it stops working, epoch ms; absent: never. */
  expiresAt?: number;
}

/** The new key (shown once, then forgotten) and the entries with its entry added. */
export function addKey(table: KeyTable, spec: NewKeySpec, now: number): { key: string; entry: KeyEntry; entries: KeyEntry[] } {
  if (!KEY_NAME_PATTERN.test(spec.name)) throw new InvalidInputError('NAME', `${JSON.stringify(spec.name)} is not a key name; use ${KEY_NAME_RULE}`);
  if ((RESERVED_KEY_NAMES as readonly string[]).includes(spec.name)) throw new InvalidInputError('NAME', `${spec.name} is reserved; choose another name`);
  if (table.entries.some((entry) => entry.name === spec.name)) {
    throw new InvalidInputError('NAME', `a key named ${spec.name} exists already; revoke it first, or choose another name`);
  }
  if (spec.expiresAt !== undefined && spec.expiresAt <= now) throw new InvalidInputError('--expires-at', 'is in the past; a key must expire later than now');
  const key = generateKey();
  const entry: KeyEntry = {
    name: spec.name,
    hash: hashKey(key),
    namespaces: parseNamespaces(spec.namespaces),
    scopes: parseScopes(spec.scopes),
    ...(spec.expiresAt === undefined ? {} : { expiresAt: new Date(spec.expiresAt).toISOString() }),
    createdAt: new Date(now).toISOString(),
  };
  return { key, entry, entries: [...table.entries, entry] };
}

/** The entries without the named key. */
export function removeKey(table: KeyTable, name: string): KeyEntry[] {
  if (!table.entries.some((entry) => entry.name === name)) throw new InvalidInputError('NAME', `no key named ${JSON.stringify(name)}; see jobwatch keys list`);
  return table.entries.filter((entry) => entry.name !== name);
}

export function parseScopes(text: string): readonly Scope[] {
  const scopes = text.split(',').map((scope) => scope.trim()).filter(Boolean);
  if (scopes.length === 0) throw new InvalidInputError('--scopes', `is required: a comma-separated list of ${SCOPES.join(', ')}`);
  const unknown = scopes.find((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown !== undefined) throw new InvalidInputError('--scopes', `${JSON.stringify(unknown)} is not a scope; use ${SCOPES.join(', ')}`);
  return [...new Set(scopes as Scope[])];
}

export function parseNamespaces(names: readonly string[]): Principal['namespaces'] {
  if (names.length === 0) throw new InvalidInputError('--namespace', "is required: a namespace the key may act in (repeat it for more), or '*' for every one");
  if (names.includes(ALL_NAMESPACES)) {
    if (names.length > 1) throw new InvalidInputError('--namespace', "'*' already means every namespace; give it alone");
    return ALL_NAMESPACES;
  }
  const bad = names.find((name) => !NAMESPACE_PATTERN.test(name));
  if (bad !== undefined) throw new InvalidInputError('--namespace', `${JSON.stringify(bad)} is not a namespace name; use ${NAMESPACE_RULE}`);
  return [...new Set(names)];
}
