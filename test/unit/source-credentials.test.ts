import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { authHeaders, clientTls } from '../../src/status/source-credentials.ts';

/** A source's credentials, resolved at each request from env or file; messages name where, never a value. */

const dir = mkdtempSync(join(tmpdir(), 'jobwatch-cred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const SECRET = 's3cr3t-value-77';

describe('authHeaders', () => {
  it.each([
    ['no auth', undefined, {}, {}],
    ['bearer from env', { kind: 'bearer', token: { env: 'T' } }, { T: SECRET }, { authorization: `Bearer ${SECRET}` }],
    ['bearer from a file, its trailing newline dropped', { kind: 'bearer', token: { file: file('t', `${SECRET}\n`) } }, {}, { authorization: `Bearer ${SECRET}` }],
    ['basic', { kind: 'basic', user: { env: 'U' }, password: { env: 'P' } }, { U: 'ann', P: SECRET }, { authorization: `Basic ${Buffer.from(`ann:${SECRET}`).toString('base64')}` }],
    ['a custom header, its name lower-cased', { kind: 'header', name: 'X-Api-Key', value: { env: 'K' } }, { K: SECRET }, { 'x-api-key': SECRET }],
    ['a client certificate sets no header', { kind: 'clientCert', cert: '/c', key: '/k' }, {}, {}],
  ] as const)('%s', async (_name, auth, env, headers) => {
    expect(await authHeaders('src', auth, env)).toEqual({ ok: true, value: headers });
  });

  it.each([
    ['an unset variable', { kind: 'bearer', token: { env: 'T' } }, {}, 'source "src": auth.bearer: the environment variable T is not set'],
    ['an empty variable', { kind: 'bearer', token: { env: 'T' } }, { T: '' }, 'source "src": auth.bearer: the environment variable T is not set'],
    ['a missing file', { kind: 'bearer', token: { file: join(dir, 'none') } }, {}, `source "src": auth.bearer: cannot read the file ${join(dir, 'none')}: ENOENT`],
    ['a secret with a line break', { kind: 'header', name: 'X-K', value: { env: 'K' } }, { K: `${SECRET}\r\nX-Evil: 1` }, 'source "src": auth.header: the environment variable K holds a line break or NUL'],
    ['a missing password', { kind: 'basic', user: { env: 'U' }, password: { env: 'P' } }, { U: SECRET }, 'source "src": auth.basic.password: the environment variable P is not set'],
  ] as const)('%s is a failed check (credentials) that names where, not what', async (_name, auth, env, message) => {
    const resolved = await authHeaders('src', auth, env);
    expect(resolved).toEqual({ ok: false, failure: { reason: 'credentials', message } });
    expect(JSON.stringify(resolved)).not.toContain(SECRET);
  });
});

describe('clientTls', () => {
  it('reads the PEM files; a missing one names its field and path', async () => {
    const cert = file('c.pem', 'CERT');
    const key = file('k.pem', 'KEY');
    expect(await clientTls('k8s', { kind: 'clientCert', cert, key }, undefined)).toEqual({ ok: true, value: { cert: 'CERT', key: 'KEY' } });
    expect(await clientTls('k8s', { kind: 'clientCert', cert, key, ca: join(dir, 'ca.pem') }, undefined)).toEqual({
      ok: false, failure: { reason: 'credentials', message: `source "k8s": auth.clientCert.ca: cannot read the file ${join(dir, 'ca.pem')}: ENOENT` },
    });
  });

  it('a source\'s own ca, with a bearer token (a Kubernetes service account), is read alone', async () => {
    const ca = file('ca-only.pem', 'CA');
    expect(await clientTls('k8s', { kind: 'bearer', token: { env: 'T' } }, ca)).toEqual({ ok: true, value: { ca: 'CA' } });
    expect(await clientTls('k8s', undefined, join(dir, 'no-ca.pem'))).toEqual({
      ok: false, failure: { reason: 'credentials', message: `source "k8s": ca: cannot read the file ${join(dir, 'no-ca.pem')}: ENOENT` },
    });
  });
});
