import { describe, expect, it } from 'vitest';
import { ANONYMOUS_PRINCIPAL, API_TOKEN_PRINCIPAL, authenticate } from '../../src/access/authenticate.ts';
import { generateKey, hashKey } from '../../src/access/key-secret.ts';
import { addKey, removeKey } from '../../src/access/keys-edit.ts';
import { formatKeys, NO_KEYS, parseKeys, parseKeysText } from '../../src/access/keys-file.ts';
import { ConfigError, InvalidInputError } from '../../src/errors/errors.ts';

const ORIGIN = 'JOBWATCH_KEYS_FILE ./keys.json';
const HASH = hashKey('jw_example');
const entry = (fields: Record<string, unknown> = {}) => ({ name: 'ci', hash: HASH, namespaces: ['team-a'], scopes: ['read', 'start'], ...fields });
const parse = (...entries: unknown[]) => parseKeys({ keys: entries }, ORIGIN);

describe('the keys file', () => {
  it('parses a key with its namespaces, scopes, expiry and quota overrides (null: no ceiling)', () => {
    const table = parse(entry({ expiresAt: '2027-06-30T00:00:00Z', quotas: { runningMonitors: 50, startsPerSecond: null } }), entry({ name: 'ops', hash: hashKey('other'), namespaces: '*', scopes: ['admin'] }));
    const ci = table.byHash.get(HASH)!;
    expect(ci).toMatchObject({ name: 'ci', namespaces: ['team-a'], scopes: ['read', 'start'], expiresAt: '2027-06-30T00:00:00Z' });
    expect(ci.quotas).toEqual({ runningMonitors: 50, startsPerSecond: Infinity });
    expect(table.entries.map((e) => e.name)).toEqual(['ci', 'ops']);
    expect(table.entries[1]!.namespaces).toBe('*');
    expect(Object.isFrozen(ci)).toBe(true);
  });

  it('writes back what it reads (null again for no ceiling)', () => {
    const table = parse(entry({ quotas: { earlyPushes: null } }));
    const text = formatKeys(table.entries);
    expect(text).toContain('"earlyPushes": null');
    expect(parseKeysText(text, ORIGIN)).toEqual(table);
  });

  it.each([
    ['not an object', 'x', /^JOBWATCH_KEYS_FILE \.\/keys\.json: must be an object with "keys"$/],
    ['no keys field', {}, /: keys: is required$/],
    ['an unknown field', { keys: [], extra: 1 }, /: has no field "extra"/],
    ['a missing hash', { keys: [entry({ hash: undefined })] }, /: key "ci": hash: is required$/],
    ['a plain key instead of a hash', { keys: [entry({ hash: 'jw_plain' })] }, /: key "ci": hash: must be "sha256:" and 64 lowercase hex digits/],
    ['an unknown scope', { keys: [entry({ scopes: ['read', 'write'] })] }, /: key "ci": scopes\[1\]: each must be one of read, start, push, cancel, admin$/],
    ['no scope', { keys: [entry({ scopes: [] })] }, /: key "ci": scopes: must list at least one scope/],
    ['a bad namespace', { keys: [entry({ namespaces: ['Team A'] })] }, /: key "ci": namespaces/],
    ['no namespace', { keys: [entry({ namespaces: [] })] }, /: key "ci": namespaces/],
    ['an expiry without a zone', { keys: [entry({ expiresAt: '2027-06-30 00:00' })] }, /: key "ci": expiresAt: must be an ISO time with a zone/],
    ['a negative quota', { keys: [entry({ quotas: { runningMonitors: -1 } })] }, /: key "ci": quotas\.runningMonitors: must be a number of at least 0, or null/],
    ['an unknown quota', { keys: [entry({ quotas: { monitors: 1 } })] }, /: key "ci": quotas: has no field "monitors"/],
    ['a bad name', { keys: [entry({ name: 'a b' })] }, /: keys\[0\]: name: must be 1-64 letters/],
    ['a reserved name', { keys: [entry({ name: 'api-token' })] }, /: key "api-token": name: is reserved/],
    ['two keys of one name', { keys: [entry(), entry({ hash: hashKey('b') })] }, /: key "ci": name: is used by another key; names must be unique$/],
    ['one hash twice', { keys: [entry(), entry({ name: 'b' })] }, /: key "b": hash: is the hash of key "ci" too$/],
  ])('refuses %s with one line naming the key and the field', (_name, input, message) => {
    expect(() => parseKeys(input, ORIGIN)).toThrow(ConfigError);
    expect(() => parseKeys(input, ORIGIN)).toThrow(message);
    try {
      parseKeys(input, ORIGIN);
    } catch (error) {
      expect((error as Error).message.split('\n')).toHaveLength(1);
    }
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseKeysText('{"keys": [', ORIGIN)).toThrow(/^JOBWATCH_KEYS_FILE \.\/keys\.json: the keys file /);
  });
});

describe('generated keys', () => {
  it('are jw_ and 32 random bytes, stored as sha256 hex', () => {
    const key = generateKey();
    expect(key).toMatch(/^jw_[A-Za-z0-9_-]{43}$/);
    expect(generateKey()).not.toBe(key);
    expect(hashKey('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('authenticate', () => {
  const NOW = Date.parse('2026-12-05T12:00:00Z');
  const table = parse(entry(), entry({ name: 'old', hash: hashKey('jw_old'), expiresAt: '2026-12-05T12:00:00Z' }));

  it.each([
    ['the key of an entry', 'jw_example', { ok: true, keyName: 'ci' }],
    ['an expired key (at its expiry)', 'jw_old', { ok: false, refusal: 'key expired' }],
    ['an unknown key', 'jw_nobody', { ok: false, refusal: 'wrong credentials' }],
    ['nothing', undefined, { ok: false, refusal: 'missing credentials' }],
    ['the API token', 'token-of-sixteen-chars', { ok: true, principal: API_TOKEN_PRINCIPAL }],
  ])('%s', (_name, presented, expected) => {
    expect(authenticate(presented, { apiToken: 'token-of-sixteen-chars', keys: table }, NOW)).toMatchObject(expected);
  });

  it('the key acts as its entry: name, namespaces, scopes', () => {
    const result = authenticate('jw_example', { keys: table }, NOW);
    expect(result).toEqual({ ok: true, keyName: 'ci', principal: { name: 'ci', namespaces: ['team-a'], scopes: ['read', 'start'] } });
  });

  it('the API token is admin on every namespace; with neither token nor keys everyone is an anonymous admin', () => {
    expect(API_TOKEN_PRINCIPAL).toEqual({ name: 'api-token', namespaces: '*', scopes: ['admin'] });
    expect(authenticate(undefined, {}, NOW)).toEqual({ ok: true, principal: ANONYMOUS_PRINCIPAL });
    // A keys file with no keys still asks for one.
    expect(authenticate(undefined, { keys: NO_KEYS }, NOW)).toEqual({ ok: false, refusal: 'missing credentials' });
  });
});

describe('keys create and revoke, without the file', () => {
  const NOW = Date.parse('2026-12-05T12:00:00Z');

  it('adds an entry with the hash of the new key, never the key', () => {
    const { key, entry: added, entries } = addKey(NO_KEYS, { name: 'ci', scopes: 'read, start,read', namespaces: ['team-a', 'team-b'], expiresAt: NOW + 1000 }, NOW);
    expect(added).toEqual({
      name: 'ci', hash: hashKey(key), namespaces: ['team-a', 'team-b'], scopes: ['read', 'start'], expiresAt: '2026-12-05T12:00:01.000Z', createdAt: '2026-12-05T12:00:00.000Z',
    });
    expect(formatKeys(entries)).not.toContain(key);
    expect(parseKeysText(formatKeys(entries), ORIGIN).byHash.get(hashKey(key))?.name).toBe('ci');
  });

  it.each([
    ['a duplicate name', { name: 'ci' }, /^NAME: a key named ci exists already/],
    ['a reserved name', { name: 'api-token' }, /^NAME: api-token is reserved/],
    ['a bad name', { name: 'a/b' }, /^NAME: "a\/b" is not a key name/],
    ['no scopes', { scopes: ' , ' }, /^--scopes: is required/],
    ['an unknown scope', { scopes: 'read,write' }, /^--scopes: "write" is not a scope/],
    ['no namespace', { namespaces: [] }, /^--namespace: is required/],
    ['* with others', { namespaces: ['*', 'a'] }, /^--namespace: '\*' already means every namespace/],
    ['a bad namespace', { namespaces: ['A'] }, /^--namespace: "A" is not a namespace name/],
    ['an expiry in the past', { expiresAt: NOW }, /^--expires-at: is in the past/],
  ])('refuses %s, naming the flag', (_name, spec, message) => {
    const table = parse(entry());
    expect(() => addKey(table, { name: 'new', scopes: 'read', namespaces: ['a'], ...spec }, NOW)).toThrow(InvalidInputError);
    expect(() => addKey(table, { name: 'new', scopes: 'read', namespaces: ['a'], ...spec }, NOW)).toThrow(message);
  });

  it('revoke removes the named key, and refuses a name it does not know', () => {
    expect(removeKey(parse(entry()), 'ci')).toEqual([]);
    expect(() => removeKey(parse(entry()), 'nobody')).toThrow(/^NAME: no key named "nobody"/);
  });
});
