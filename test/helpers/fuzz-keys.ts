import { ALL_NAMESPACES, hasScope, SCOPES, type Principal } from '../../src/access/principal.ts';
import type { NewKeySpec } from '../../src/access/keys-edit.ts';
import { inProtectedArea, ruleFor } from '../../src/http/route-access.ts';
import type { HttpReply } from './http.ts';

/**
 * The API fuzzer's key dimension: one key of each scope acting in the namespace `fuzz-a`, an admin
 * key on every namespace, and requests with no key or an unknown one. Another namespace,
 * `fuzz-b`, holds monitors whose job ids, metadata and pushed bodies all carry SECRET: an answer
 * to a `fuzz-a` key must never hold it, nor anything of `fuzz-b`.
 */
export const HOME = 'fuzz-a';
export const OTHER = 'fuzz-b';
/** What every value seeded in OTHER carries, and so what no answer to a HOME key may carry. */
export const SECRET = 'secret-b-';
/** A source open to OTHER only: a HOME key's listing of the sources must not name it. */
export const OTHER_SOURCE = 'b-only';

export interface FuzzKey {
  name: string;
  /** Who the server takes the key for; undefined when it has no valid key. */
  principal?: Principal;
  /** The bearer token to send (filled in from the keys file for real keys). */
  token?: string;
}

export const ROOT = 'root';

/** The keys the fuzzer sends, the keys file's among them; `token`s are set once the file is written. */
export function fuzzKeys(): FuzzKey[] {
  return [
    ...SCOPES.map((scope) => ({ name: `a-${scope}`, principal: { name: `a-${scope}`, namespaces: [HOME], scopes: [scope] } })),
    { name: ROOT, principal: { name: ROOT, namespaces: ALL_NAMESPACES, scopes: ['admin'] } },
    { name: 'no-key' },
    { name: 'unknown-key', token: 'jw_not-a-key-of-this-server-0123456789abcdef' },
  ];
}

/** The keys file's entries for the keys that have a principal. */
export function keySpecs(keys: readonly FuzzKey[]): NewKeySpec[] {
  return keys.flatMap(({ principal }) => (principal ? [{
    name: principal.name,
    scopes: principal.scopes.join(','),
    namespaces: principal.namespaces === ALL_NAMESPACES ? [ALL_NAMESPACES] : [...principal.namespaces],
  }] : []));
}

/**
 * The refusal the access middleware (auth.ts) answers `key` with on this path, before any route
 * is looked up, or undefined when it lets the request through: without a valid key, a protected
 * path is a 401; a key lacking the scope of the path's rule (route-access.ts) a 403 naming it.
 * `pathname` is the path as the server matches it (one trailing slash dropped: it is not strict).
 */
export function expectedRefusal(key: FuzzKey, method: string, pathname: string): { status: 401 } | { status: 403; error: string } | undefined {
  const rule = ruleFor(method, pathname);
  if (rule?.access === 'public' || (!rule && !inProtectedArea(pathname))) return undefined;
  if (!key.principal) return { status: 401 };
  if (!rule || rule.access === 'authenticated' || hasScope(key.principal, rule.access)) return undefined;
  return { status: 403, error: `forbidden: this key lacks the ${rule.access} scope` };
}

/**
 * What is wrong with the answer to `key` as the access table decides it, or undefined: the
 * refusal expectedRefusal names, exactly (never a 2xx, nor anything a handler would answer); and
 * a key that holds the route's scope is never refused for a scope.
 */
export function accessProblem(key: FuzzKey, method: string, pathname: string, reply: HttpReply): string | undefined {
  const refusal = expectedRefusal(key, method, pathname);
  if (refusal?.status === 401) return reply.status === 401 ? undefined : `answered ${reply.status} to a request without a valid key (${key.name}), not 401`;
  if (refusal?.status === 403) {
    return reply.status === 403 && reply.json?.error === refusal.error ? undefined
      : `answered ${reply.status} to ${key.name}, not 403 "${refusal.error}": ${reply.text.slice(0, 200)}`;
  }
  if (reply.status === 403 && typeof reply.json?.error === 'string' && reply.json.error.includes('lacks the')) {
    return `refused ${key.name} for a scope it holds: ${reply.text.slice(0, 200)}`;
  }
  return undefined;
}

/** What of OTHER an answer to a key confined to other namespaces shows, or undefined. */
export function leakTo(key: FuzzKey, reply: HttpReply): string | undefined {
  const namespaces = key.principal?.namespaces;
  if (namespaces === undefined || namespaces === ALL_NAMESPACES || namespaces.includes(OTHER)) return undefined;
  if (reply.text.includes(SECRET)) return `answered ${key.name} with data of ${OTHER}: ${excerpt(reply.text, SECRET)}`;
  const found = findInJson(reply.json, (value) =>
    (value.namespace === OTHER ? `a monitor of ${OTHER}` : undefined) ??
    (value.name === OTHER_SOURCE ? `the source ${OTHER_SOURCE}, open to ${OTHER} only` : undefined));
  return found ? `answered ${key.name} with ${found}: ${reply.text.slice(0, 300)}` : undefined;
}

/** The first thing `test` reports of any object in a JSON value, walked without recursion. */
function findInJson(json: unknown, test: (value: Record<string, unknown>) => string | undefined): string | undefined {
  const pending: unknown[] = [json];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (!Array.isArray(value)) {
      const found = test(value as Record<string, unknown>);
      if (found) return found;
    }
    pending.push(...Object.values(value));
  }
  return undefined;
}

function excerpt(text: string, needle: string): string {
  const at = text.indexOf(needle);
  return text.slice(Math.max(0, at - 100), at + 100);
}
