import { readFile } from 'node:fs/promises';
import type { StatusCheckFailure } from '../monitor/reading.ts';
import type { CredentialRef, SourceAuth } from '../sources/source-auth.ts';
import type { ClientTls } from './status-request.ts';

/**
 * A source's credentials, resolved at each request from where the sources file says they are (an
 * environment variable or a file), so that a rotated token is used without a restart. A secret
 * lives only in the request's headers: messages name where it was looked for, never its value.
 */

/** Where secrets are looked up: the worker's environment. */
export type SecretEnv = Readonly<Record<string, string | undefined>>;

export type Resolved<T> = { ok: true; value: T } | { ok: false; failure: StatusCheckFailure };

/** The headers a source's auth sets; none for no auth or a client certificate (its TLS does). */
export async function authHeaders(source: string, auth: SourceAuth | undefined, env: SecretEnv): Promise<Resolved<Record<string, string>>> {
  if (auth === undefined || auth.kind === 'clientCert') return { ok: true, value: {} };
  if (auth.kind === 'bearer') {
    const token = await secretOf(source, 'auth.bearer', auth.token, env);
    return token.ok ? { ok: true, value: { authorization: `Bearer ${token.value}` } } : token;
  }
  if (auth.kind === 'basic') {
    const user = await secretOf(source, 'auth.basic.user', auth.user, env);
    if (!user.ok) return user;
    const password = await secretOf(source, 'auth.basic.password', auth.password, env);
    if (!password.ok) return password;
    return { ok: true, value: { authorization: `Basic ${Buffer.from(`${user.value}:${password.value}`).toString('base64')}` } };
  }
  const value = await secretOf(source, 'auth.header', auth.value, env);
  return value.ok ? { ok: true, value: { [auth.name.toLowerCase()]: value.value } } : value;
}

/**
 * The PEM files of a source's TLS, read when its connections are first made: a client certificate
 * and its CA (`auth.clientCert`), or the source's own `ca` alone.
 */
export async function clientTls(source: string, auth: SourceAuth | undefined, ca: string | undefined): Promise<Resolved<ClientTls>> {
  const files = auth?.kind === 'clientCert' ? { cert: auth.cert, key: auth.key, ca: auth.ca } : { ca };
  const tls: ClientTls = {};
  for (const part of ['cert', 'key', 'ca'] as const) {
    const path = files[part];
    if (path === undefined) continue;
    const read = await fileText(source, auth?.kind === 'clientCert' ? `auth.clientCert.${part}` : part, path);
    if (!read.ok) return read;
    tls[part] = read.value;
  }
  return { ok: true, value: tls };
}

async function secretOf(source: string, field: string, ref: CredentialRef, env: SecretEnv): Promise<Resolved<string>> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '') return failed(source, field, `the environment variable ${ref.env} is not set`);
    return headerSafe(source, field, value, `the environment variable ${ref.env}`);
  }
  const read = await fileText(source, field, ref.file);
  if (!read.ok) return read;
  // A secret file ends in a newline as often as not (echo, kubectl create secret --from-file).
  return headerSafe(source, field, read.value.replace(/\r?\n$/, ''), `the file ${ref.file}`);
}

async function fileText(source: string, field: string, path: string): Promise<Resolved<string>> {
  try {
    return { ok: true, value: await readFile(path, 'utf8') };
  } catch (error) {
    return failed(source, field, `cannot read the file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/** A secret that would break the header (a line break, a NUL) is refused, never sent nor echoed. */
function headerSafe(source: string, field: string, value: string, where: string): Resolved<string> {
  if (value === '') return failed(source, field, `${where} is empty`);
  return /[\r\n\u0000]/.test(value) ? failed(source, field, `${where} holds a line break or NUL`) : { ok: true, value };
}

function failed(source: string, field: string, problem: string): { ok: false; failure: StatusCheckFailure } {
  return { ok: false, failure: { reason: 'credentials', message: `source "${source}": ${field}: ${problem}` } };
}
