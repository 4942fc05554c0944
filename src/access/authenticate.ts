import { expiryOf, principalOf, type KeyTable } from './keys-file.ts';
import { hashKey, secretMatches } from './key-secret.ts';
import { ALL_NAMESPACES, type Principal } from './principal.ts';

/**
 * Who a presented secret belongs to: a key of the keys file, JOBWATCH_API_TOKEN, or, in a
 * deployment with neither (which listens on loopback only), anyone. Pure: the key store hands in
 * its current table and the clock.
 */

/** Why a request was refused: logged and answered, never with the secret. */
export type Refusal = 'missing credentials' | 'wrong credentials' | 'key expired';

export type Authentication =
  | {
    ok: true;
    principal: Principal;
    /** Set when a key of the keys file was used: its last use is recorded under this name. */
    keyName?: string;
  }
  | { ok: false; refusal: Refusal };

/** What secrets a deployment accepts. */
export interface Credentials {
  /** JOBWATCH_API_TOKEN. */
  readonly apiToken?: string | undefined;
  /** The keys file's current table; absent when there is no JOBWATCH_KEYS_FILE. */
  readonly keys?: KeyTable | undefined;
}

/** JOBWATCH_API_TOKEN, as one key: admin on every namespace, so a deployment that has it keeps working. */
export const API_TOKEN_PRINCIPAL: Principal = Object.freeze({ name: 'api-token', namespaces: ALL_NAMESPACES, scopes: Object.freeze(['admin'] as const) });
/** Every request of a deployment with no token and no keys file: it listens on loopback only (assertBindAllowed). */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({ name: 'anonymous', namespaces: ALL_NAMESPACES, scopes: Object.freeze(['admin'] as const) });

/** Whether the deployment asks for credentials at all. */
export function requiresCredentials(credentials: Credentials): boolean {
  return credentials.apiToken !== undefined || credentials.keys !== undefined;
}

export function authenticate(presented: string | undefined, credentials: Credentials, now: number): Authentication {
  if (!requiresCredentials(credentials)) return { ok: true, principal: ANONYMOUS_PRINCIPAL };
  if (presented === undefined) return { ok: false, refusal: 'missing credentials' };
  if (credentials.apiToken !== undefined && secretMatches(presented, credentials.apiToken)) return { ok: true, principal: API_TOKEN_PRINCIPAL };
  // No constant-time compare here: the lookup is by the presented key's own digest, so what its
  // timing could tell is at most something about digests, and a digest does not lead back to a
  // key of 256 random bits (see key-secret.ts). The token above is compared in constant time,
  // since it is held as it is and a person may have chosen it.
  const entry = credentials.keys?.byHash.get(hashKey(presented));
  if (!entry) return { ok: false, refusal: 'wrong credentials' };
  const expiry = expiryOf(entry);
  if (expiry !== undefined && now >= expiry) return { ok: false, refusal: 'key expired' };
  return { ok: true, principal: principalOf(entry), keyName: entry.name };
}
