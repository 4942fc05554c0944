import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys as secrets: how one is made and how it is stored. A key is `jw_` and 32 random bytes
 * (base64url); the keys file holds only `sha256:` and the hex digest of the whole key.
 *
 * Why a plain SHA-256 and not a slow password hash (bcrypt, scrypt, argon2): a slow hash protects
 * secrets people choose, whose few bits of entropy a stolen hash lets an attacker try offline. A
 * generated key has 256 random bits: no number of SHA-256 guesses finds one, however fast each is.
 * And a fast, unsalted hash is what lets a request's key be looked up by its digest in a Map,
 * instead of trying every entry's salt in turn.
 */

/** What every generated key starts with: recognisable in a leaked log or a secret scanner. */
export const KEY_PREFIX = 'jw_';
/** Random bytes in a generated key (256 bits). */
export const KEY_BYTES = 32;
/** How a stored digest is written: the algorithm, so that another may come later. */
export const HASH_PREFIX = 'sha256:';
export const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** A new key: shown once to its owner, never stored. */
export function generateKey(): string {
  return `${KEY_PREFIX}${randomBytes(KEY_BYTES).toString('base64url')}`;
}

/** The stored form of a key: `sha256:` and the hex digest of its UTF-8 bytes. */
export function hashKey(key: string): string {
  return `${HASH_PREFIX}${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/**
 * Compares a presented secret with the expected one in constant time (JOBWATCH_API_TOKEN, which a
 * person may have chosen and which is held as it is). Both are hashed first, so the buffers have
 * equal lengths (timingSafeEqual demands it) and the length leaks nothing either.
 */
export function secretMatches(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
