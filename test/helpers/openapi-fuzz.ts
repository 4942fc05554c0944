import fc from 'fast-check';
import type { OpenApiDocument } from './openapi-check.ts';

/**
 * Requests generated from a served OpenAPI document, on fast-check (seeded, so a failing case
 * replays): bodies that fit the document, the same mutated field by field, random JSON and bytes,
 * wrong content types, odd paths and query strings. A small generator rather than a kept tool:
 * the npm OpenAPI fuzzers found were unmaintained and unseeded (see the test's header).
 */

type Schema = {
  $ref?: string; type?: string | string[]; enum?: unknown[]; anyOf?: Schema[]; oneOf?: Schema[];
  properties?: Record<string, Schema>; required?: string[]; additionalProperties?: boolean | Schema;
  minLength?: number; maxLength?: number; pattern?: string; format?: string;
  minimum?: number; maximum?: number; items?: Schema;
};

export interface FuzzRequest {
  /** What kind of case this is, for the report of a failure. */
  kind: string;
  method: string;
  /** Path and query, e.g. `/api/monitors?limit=2`. */
  path: string;
  headers?: Record<string, string>;
  /** JSON value (sent as JSON), text or bytes, as given. */
  body?: unknown;
}

/** A value that fits `schema`; `hints` replace the generator of a named property part of the time. */
export function fitting(schema: Schema, document: OpenApiDocument, hints: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<unknown> {
  if (schema.$ref) return fitting(resolve(schema.$ref, document), document, hints);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices) return fc.oneof(...choices.map((choice) => fitting(choice, document, hints)));
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => fitting({ ...schema, type }, document, hints)));
  switch (schema.type) {
    case 'object': {
      const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, property]) => {
        const generated = fitting(property, document);
        return [name, hints[name] ? fc.oneof({ weight: 3, arbitrary: hints[name] }, { weight: 1, arbitrary: generated }) : generated];
      }));
      const known = fc.record(properties, { requiredKeys: schema.required ?? [] });
      if (!schema.properties) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      return known;
    }
    case 'string': {
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? Infinity));
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40), unit: 'grapheme' });
    }
    case 'integer': return fc.integer({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9 });
    case 'number': return fc.double({ min: schema.minimum, max: schema.maximum, noNaN: true, noDefaultInfinity: true });
    case 'boolean': return fc.boolean();
    case 'array': return fc.array(fitting(schema.items ?? {}, document), { maxLength: 4 });
    default: return fc.jsonValue({ maxDepth: 3 });
  }
}

function resolve(ref: string, document: OpenApiDocument): Schema {
  let at: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) at = (at as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return at as Schema;
}

/** Values that break things: wrong types, huge, deep, NUL, half a surrogate pair, odd numbers. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value) ?? 'null') as unknown),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff x', '😀', '\u202e', '%00', '../../etc/passwd', '{jobId}', 'http://[::1', 'javascript:alert(1)'),
  fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53, 0.1, -0, 1e-300),
  fc.integer({ min: 1, max: 200 }).map((n) => 'x'.repeat(n * 1_000)),
  // Deeper values go as text (deepJson): stringify itself overflows the stack a few thousand levels down.
  fc.integer({ min: 10, max: 1_000 }).map((depth) => nestedValue(depth)),
);

/** JSON text of an object nested `depth` deep, `{"a":{"a":…1…}}`, built without recursion. */
export function deepJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

function nestedValue(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** Bodies for POST, from a valid body: the body, one field mutated, removed or added, or replaced whole. */
export function postBodies(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Omit<FuzzRequest, 'method' | 'path'>> {
  const asJson = (kind: string) => (body: unknown) => ({ kind, body });
  return fc.oneof(
    { weight: 3, arbitrary: valid.map(asJson('valid body')) },
    { weight: 4, arbitrary: fc.tuple(valid, fc.string({ maxLength: 12 }), hostileValue).map(([body, key, value]) => {
      const keys = Object.keys(body);
      const field = keys.length > 0 && key.length % 3 !== 0 ? keys[key.length % keys.length]! : key;
      return { kind: `field ${JSON.stringify(field)} mutated`, body: { ...body, [field]: value } };
    }) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.nat()).map(([body, n]) => {
      const keys = Object.keys(body);
      const copy = { ...body };
      if (keys.length > 0) delete copy[keys[n % keys.length]!];
      return { kind: 'a field removed', body: copy };
    }) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.integer({ min: 60, max: 20_000 })).map(([body, depth]) => ({
      kind: `metadata nested ${depth} deep`, body: JSON.stringify({ ...body, metadata: 0 }).replace(/"metadata":0/, `"metadata":${deepJson(depth)}`),
    })) },
    { weight: 2, arbitrary: hostileValue.map(asJson('random JSON')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'random bytes', body: bytes })) },
    { weight: 1, arbitrary: valid.map((body) => {
      const text = JSON.stringify(body);
      return { kind: 'bad UTF-8 in a valid body', body: Buffer.concat([Buffer.from(text.slice(0, -2)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(text.slice(-2))]) };
    }) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.nat()).map(([body, cut]) => {
      const text = JSON.stringify(body);
      return { kind: 'truncated JSON', body: text.slice(0, cut % Math.max(1, text.length)) };
    }) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '', 'application/json; charset=latin1')).map(([body, type]) => ({
      kind: `content type ${JSON.stringify(type)}`, body: JSON.stringify(body), headers: { 'content-type': type },
    })) },
  );
}

/** An id for a path segment: ordinary, encoded oddities, or long. */
export const pathId: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }).map(encodeURIComponent),
  fc.constantFrom('%00', '%ZZ', '%', '..', '.', '%2F', '%2e%2e', 'a%20b', '%F0%9F%98%80', '%ED%A0%80', '%C3%28', '~', '*', "'", '"'),
  fc.integer({ min: 200, max: 5_000 }).map((n) => 'i'.repeat(n)),
);

/** Query strings for the list: documented parameters with fitting and hostile values, repeated or unknown ones, broken encodings. */
export const listQuery: fc.Arbitrary<string> = fc.array(fc.oneof(
  fc.tuple(fc.constantFrom('state', 'limit', 'cursor'), fc.oneof(
    fc.constantFrom('running', 'completed', 'errored', '1', '50', '1000', '1001', '0', '-1', '1.5', '1e3', '0x10', ' 2', ''),
    fc.string({ maxLength: 30, unit: 'grapheme' }),
    fc.base64String({ maxLength: 60 }).map((s) => s.replace(/=+$/, '')),
    fc.jsonValue({ maxDepth: 2 }).map((value) => Buffer.from(JSON.stringify(value)).toString('base64url')),
    fc.tuple(fc.constantFrom('running', 'ended', 'other'), fc.oneof(fc.integer(), fc.double(), fc.string()), fc.oneof(fc.string(), fc.integer()))
      .map((cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url')),
  )).map(([key, value]) => `${key}=${encodeURIComponent(value)}`),
  fc.tuple(fc.constantFrom('idPrefix', 'metadata', 'from', 'to'), fc.oneof(
    fc.constantFrom('a=b', '=x', 'team=', 'k=v=w', '%', '2026-11-30T12:00', '2026-11-30T12:00:00.123+05:30', '0000-01-01T00:00Z',
      '9999-12-31T23:59-05:00', '1969-12-31T23:59Z', '2026-02-30T00:00', '', "'; drop table monitor_results; --"),
    fc.string({ maxLength: 30, unit: 'grapheme' }),
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  )).map(([key, value]) => `${key}=${encodeURIComponent(value)}`),
  fc.constantFrom('limit=%', 'state=%ZZ', 'cursor=%00', 'limit', '=', '&&', 'limit=1&limit=2', 'state[]=running', `cursor=${'A'.repeat(5_000)}`),
), { maxLength: 4 }).map((parts) => (parts.length > 0 ? `?${parts.join('&')}` : ''));

/** Paths the document does not describe, and methods it does not list. */
export const oddRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), fc.constantFrom(
    '/api', '/api/', '/api/monitors/a/b', '/api/monitors//', '/api/%ZZ', '/api/openapi.json/x', '/api/../healthz', '/api/monitors/%00/x',
    `/api/${'x'.repeat(10_000)}`, '/api/monitors;x', '/api/monitors/.%2e/.%2e', '/api/nothing?x=1',
  )).map(([method, path]) => ({ kind: 'odd path', method, path })),
  fc.constantFrom('PUT', 'PATCH').map((method) => ({ kind: 'undocumented method', method, path: '/api/monitors', body: {} })),
);

/** A namespace a request names: none, one of `namespaces`, or text that is not a namespace at all. */
export function namespaceChoice(namespaces: readonly string[]): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.constantFrom(...namespaces) },
    { weight: 1, arbitrary: fc.constantFrom('', 'Team-A', '-x', 'a'.repeat(64), '*', '%00', 'fuzz-a,fuzz-b') },
  );
}

/** `path` with `name=value` added to its query (nothing added for an undefined value). */
export function withParam(path: string, name: string, value: string | undefined): string {
  if (value === undefined) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
}

/** Query strings for a monitor's checks: limit and cursor, fitting and not. */
export const checksQuery: fc.Arbitrary<string> = fc.array(fc.tuple(fc.constantFrom('limit', 'cursor'), fc.oneof(
  fc.constantFrom('1', '50', '1000', '1001', '0', '-1', 'x', ''),
  fc.string({ maxLength: 30, unit: 'grapheme' }),
  fc.jsonValue({ maxDepth: 2 }).map((value) => Buffer.from(JSON.stringify(value)).toString('base64url')),
)).map(([key, value]) => `${key}=${encodeURIComponent(value)}`), { maxLength: 3 }).map((parts) => (parts.length > 0 ? `?${parts.join('&')}` : ''));
