import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/access/principal.ts';
import { namespaceFor, readableNamespaces } from '../../src/access/request-namespace.ts';

const key = (namespaces: Principal['namespaces']): Principal => ({ name: 'k', namespaces, scopes: ['read', 'start'] });

describe('namespaceFor', () => {
  it.each<[string, Principal['namespaces'], unknown, string | RegExp]>([
    ['a one-namespace key, naming none: its own', ['team-a'], undefined, 'team-a'],
    ['a one-namespace key, naming its own', ['team-a'], 'team-a', 'team-a'],
    ['a one-namespace key, naming another: 403', ['team-a'], 'team-b', /forbidden: this key may not act in the namespace team-b/],
    ['a one-namespace key, naming default: 403', ['team-a'], 'default', /forbidden: this key may not act in the namespace default/],
    ['an every-namespace key, naming none: default', '*', undefined, 'default'],
    ['an every-namespace key, naming one: that one', '*', 'team-b', 'team-b'],
    ['a two-namespace key, naming one of them', ['team-a', 'team-b'], 'team-b', 'team-b'],
    ['a two-namespace key, naming none, default not among them: 403', ['team-a', 'team-b'], undefined, /several namespaces.*name one with namespace/],
    ['a two-namespace key with default, naming none: default', ['default', 'team-b'], undefined, 'default'],
    ['a malformed namespace: 400', '*', 'Team A', /namespace: must be 1 to 63 lowercase/],
    ['a namespace that is not text: 400', '*', 5, /namespace: must be/],
  ])('%s', (_name, namespaces, requested, expected) => {
    if (typeof expected === 'string') expect(namespaceFor(key(namespaces), requested)).toBe(expected);
    else expect(() => namespaceFor(key(namespaces), requested)).toThrow(expected);
  });

  it('reads every namespace for a * key, and its own list otherwise', () => {
    expect(readableNamespaces(key('*'))).toBeUndefined();
    expect(readableNamespaces(key(['team-a']))).toEqual(['team-a']);
  });
});
