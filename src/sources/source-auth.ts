import { z } from 'zod';
import { wrongType } from './schema-messages.ts';

/**
 * How a source proves who jobwatch is. A sources file never holds a secret: it names where each
 * one is, an environment variable (`{ "env": "OPS_TOKEN" }`) or a file (`{ "file": "/run/secrets/ops" }`),
 * resolved by the wiring when the worker starts. Client certificates are always files.
 */

/** Where a secret is. */
export type CredentialRef = { readonly env: string } | { readonly file: string };

export type SourceAuth =
  /** `Authorization: Bearer <token>`. */
  | { readonly kind: 'bearer'; readonly token: CredentialRef }
  /** `Authorization: Basic base64(user:password)`. */
  | { readonly kind: 'basic'; readonly user: CredentialRef; readonly password: CredentialRef }
  /** An API key in a header of the source's choosing, e.g. `X-Api-Key`. */
  | { readonly kind: 'header'; readonly name: string; readonly value: CredentialRef }
  /** Mutual TLS: PEM files for the client certificate and its key, and a CA to trust instead of the system's. */
  | { readonly kind: 'clientCert'; readonly cert: string; readonly key: string; readonly ca?: string };

export const AUTH_KINDS = ['bearer', 'basic', 'header', 'clientCert'] as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const NEEDS_ENV_OR_FILE = 'needs "env" or "file", e.g. { "env": "OPS_TOKEN" }; a secret is never written in the sources file';

const filePath = z.string({ error: wrongType('must be a file path') })
  .min(1, { error: 'must be a file path' })
  .max(4_096, { error: 'must be at most 4096 characters' })
  .refine((path) => !path.includes('\u0000'), { error: 'must not contain a NUL character' });

const envName = z.string({ error: wrongType('must be the name of an environment variable') })
  .regex(ENV_NAME, { error: 'must be the name of an environment variable, e.g. OPS_TOKEN' });

/** `{ "env": NAME }` or `{ "file": path }`, exactly one; anything else, an inline string above all, is refused. */
const credential = z.unknown().transform((value, ctx): CredentialRef => {
  const ref = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const keys = ref ? Object.keys(ref) : [];
  if (!ref || keys.length !== 1 || !(keys[0] === 'env' || keys[0] === 'file')) {
    ctx.addIssue({ code: 'custom', message: NEEDS_ENV_OR_FILE });
    return z.NEVER;
  }
  const checked = (keys[0] === 'env' ? envName : filePath).safeParse(ref[keys[0]]);
  if (!checked.success) {
    ctx.addIssue({ code: 'custom', message: checked.error.issues[0]!.message, path: [keys[0]] });
    return z.NEVER;
  }
  return keys[0] === 'env' ? { env: checked.data } : { file: checked.data };
});

const headerName = z.string({ error: wrongType('must be a header name') }).regex(HEADER_NAME, { error: 'must be a header name, e.g. X-Api-Key' });

/** The `auth` member of a source: exactly one kind. */
export const authSchema = z.strictObject({
  bearer: credential.optional(),
  basic: z.strictObject({ user: credential, password: credential }).optional(),
  header: z.strictObject({ name: headerName, env: envName.optional(), file: filePath.optional() }).optional(),
  clientCert: z.strictObject({ cert: filePath, key: filePath, ca: filePath.optional() }).optional(),
}).transform((auth, ctx): SourceAuth => {
  const given = AUTH_KINDS.filter((kind) => auth[kind] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({ code: 'custom', message: `give exactly one of ${AUTH_KINDS.join(', ')}` });
    return z.NEVER;
  }
  if (auth.bearer) return { kind: 'bearer', token: auth.bearer };
  if (auth.basic) return { kind: 'basic', user: auth.basic.user, password: auth.basic.password };
  if (auth.header) {
    const { name, env, file } = auth.header;
    if ((env === undefined) === (file === undefined)) {
      ctx.addIssue({ code: 'custom', message: NEEDS_ENV_OR_FILE.replace('{ "env": "OPS_TOKEN" }', '{ "name": "X-Api-Key", "env": "RENDER_KEY" }'), path: ['header'] });
      return z.NEVER;
    }
    return { kind: 'header', name, value: env === undefined ? { file: file! } : { env } };
  }
  const { cert, key, ca } = auth.clientCert!;
  return { kind: 'clientCert', cert, key, ...(ca === undefined ? {} : { ca }) };
});

/** The header a source's auth sets, lower-cased, so that static `headers` cannot set it too. */
export function authHeaderName(auth: SourceAuth | undefined): string | undefined {
  if (auth === undefined || auth.kind === 'clientCert') return undefined;
  return auth.kind === 'header' ? auth.name.toLowerCase() : 'authorization';
}
