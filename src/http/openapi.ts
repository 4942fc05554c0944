import { z } from 'zod';
import { DEFAULT_LIST_LIMIT, listQuerySchema } from '../client/list-query.ts';
import { checkPageSchema, checkQuerySchema, DEFAULT_CHECKS_LIMIT } from '../client/check-page.ts';
import { endedMonitorStateSchema, monitorStateSchema, runningMonitorStateSchema } from '../client/monitor-state.ts';
import { MAX_ID_LENGTH } from '../monitor/input-limits.ts';
import { monitorInputSchema } from '../monitor/input.ts';
import { operationInputSchema } from '../monitor/operation-input.ts';
import { callbackAnswerSchema, errorBodySchema, healthReportSchema, monitorPageSchema, quotaListSchema, sourceListSchema, sourceTryInputSchema, sourceTrySchema } from './api-schemas.ts';
import { pushAnswerSchema } from '../client/push-answer.ts';
import { pushedStatusSchema } from '../monitor/push.ts';

type JsonSchema = Record<string, unknown>;

/**
 * The components of the document, by name. Each is generated from the zod schema that validates
 * the input or types the answer, so the document cannot drift from the code.
 */
const COMPONENTS: [string, z.ZodType][] = [
  ['MonitorInput', monitorInputSchema],
  ['OperationInput', operationInputSchema],
  ['MonitorState', monitorStateSchema],
  ['RunningMonitor', runningMonitorStateSchema],
  ['EndedMonitor', endedMonitorStateSchema],
  ['MonitorPage', monitorPageSchema],
  ['PushedStatus', pushedStatusSchema],
  ['PushAnswer', pushAnswerSchema],
  ['CallbackAnswer', callbackAnswerSchema],
  ['CheckPage', checkPageSchema],
  ['Error', errorBodySchema],
  ['HealthReport', healthReportSchema],
  ['SourceList', sourceListSchema],
  ['SourceTryInput', sourceTryInputSchema],
  ['SourceTry', sourceTrySchema],
  ['QuotaList', quotaListSchema],
];

const GENERATE: z.core.ToJSONSchemaParams = {
  // Answers are checked as the handlers produce them: unknown properties are refused.
  io: 'output',
  // JSON carries no Date: where the library takes one, the API takes an ISO time.
  unrepresentable: (ctx) => (ctx.zodSchema._zod.def.type === 'date' ? { type: 'string', format: 'date-time' } : 'throw'),
  // zod adds a long pattern beside `format: date-time`; the format says it, and reads better.
  override: (ctx) => {
    if (ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern;
  },
};

/** The component schemas, their references pointing into the document, without per-schema headers. */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of COMPONENTS) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { ...GENERATE, uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(schemas as Record<string, JsonSchema>).map(([id, schema]) => [id, withoutHeader(schema)]));
}

/** One schema on its own (a parameter's), without the `$schema` header OpenAPI does not want there. */
function inlineSchema(schema: z.ZodType): JsonSchema {
  return withoutHeader(z.toJSONSchema(schema, GENERATE) as JsonSchema);
}

function withoutHeader({ $schema: _schema, $id: _id, ...rest }: JsonSchema): JsonSchema {
  return rest;
}

const json = (schema: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } });
const reply = (description: string, schema = 'Error') => ({ description, content: json(schema) });

/** The answers every /api route may give besides its own. */
const API_ERRORS = {
  401: reply('Missing, wrong or expired key (only when JOBWATCH_KEYS_FILE or JOBWATCH_API_TOKEN is set)'),
  403: reply('The key lacks the scope this route needs; the message names it, e.g. `forbidden: this key lacks the start scope`'),
  500: reply('An unexpected error; the details are in the server log only'),
  503: reply('Redis or Postgres is unreachable or did not answer in time; see /healthz'),
};

/** A body that had not all arrived when the time ran out: the client's slowness, not the backends'. */
const BODY_TIMEOUT = reply('The request body was not all received within the API time limit; `field` is `body`');

/** Over one of the namespace's quotas: nothing was written; `Retry-After` says when to try again. */
const QUOTA_REFUSAL = {
  ...reply("Over one of the namespace's quotas (the message names it and its option); nothing was written"),
  headers: { 'Retry-After': { description: 'Seconds until it may fit', schema: { type: 'integer', minimum: 1 } } },
};

/** What both push routes answer besides the answer itself. */
const PUSH_ERRORS = {
  400: reply('Invalid body; `field` names what was wrong'),
  408: BODY_TIMEOUT,
  413: reply('Body over JOBWATCH_MAX_BODY_BYTES, or a pushed `body` over 16 KiB of JSON (`field` is `body`); nothing is kept'),
  429: QUOTA_REFUSAL,
};

/** What the API push route answers: the monitor, as GET /api/monitors/{id} would, with `accepted`. */
const PUSH_ANSWERS = {
  200: reply('The monitor after the push; `accepted` is false when it had already ended (it is unchanged)', 'PushAnswer'),
  202: reply('No monitor has this id yet: the status is kept for it (JOBWATCH_EARLY_STATUS_TTL)', 'PushAnswer'),
  ...PUSH_ERRORS,
};

/** What a callback URL answers: whether the push counted and where the monitor stands, never its metadata, detail or status source. */
const CALLBACK_ANSWERS = {
  200: reply('`accepted` (false when the monitor had already ended; it is unchanged), its `state` and `outcome` (null until it ends)', 'CallbackAnswer'),
  202: reply('No monitor has this id yet: the status is kept for it (JOBWATCH_EARLY_STATUS_TTL); `state` is `not-started`', 'CallbackAnswer'),
  ...PUSH_ERRORS,
};

function listParameters(): JsonSchema[] {
  const { state, limit, cursor, idPrefix, metadata } = listQuerySchema.shape;
  return [
    { name: 'state', in: 'query', description: '`running`, or an outcome', schema: inlineSchema(state) },
    { name: 'limit', in: 'query', description: 'Monitors per page', schema: { ...inlineSchema(limit), default: DEFAULT_LIST_LIMIT } },
    { name: 'cursor', in: 'query', description: '`nextCursor` of the previous page', schema: inlineSchema(cursor) },
    { name: 'namespace', in: 'query', description: "Only this namespace's monitors (one the key may read); without it, every namespace the key may read", schema: { type: 'string' } },
    { name: 'idPrefix', in: 'query', description: 'The monitor id or the job id starts with this', schema: inlineSchema(idPrefix) },
    { name: 'metadata', in: 'query', description: '`key=value`: the metadata holds this string, number or boolean under the key', schema: inlineSchema(metadata) },
    { name: 'from', in: 'query', description: 'ISO time (UTC without a zone): a running monitor started, an ended one finished, at or after it', schema: { type: 'string' } },
    { name: 'to', in: 'query', description: 'ISO time (UTC without a zone): at or before it', schema: { type: 'string' } },
  ];
}

function checkParameters(): JsonSchema[] {
  const { limit, cursor } = checkQuerySchema.shape;
  return [
    { name: 'limit', in: 'query', description: 'Checks per page', schema: { ...inlineSchema(limit), default: DEFAULT_CHECKS_LIMIT } },
    { name: 'cursor', in: 'query', description: '`nextCursor` of the previous page', schema: inlineSchema(cursor) },
  ];
}

/** Which namespace a monitor id is in, for keys that may act in several (a key of one namespace needs none). */
const NAMESPACE_PARAMETER = {
  name: 'namespace', in: 'query', required: false, schema: { type: 'string' },
  description: "The monitor's namespace; without it, the key's own namespace (a key of several: `default`). A namespace the key may not act in is a 403",
};

/** The one bad input of a route that takes no body and no other query: a `namespace` that is not a namespace's name. */
const BAD_NAMESPACE = reply('`namespace` is not a namespace\'s name; `field` is `namespace`');

let cached: Record<string, unknown> | undefined;

/** The OpenAPI description served at GET /api/openapi.json, generated once from the zod schemas. */
export function openApiDocument(): Record<string, unknown> {
  cached ??= buildDocument();
  return cached;
}

function buildDocument(): Record<string, unknown> {
  const monitorIdParameter = {
    name: 'id', in: 'path', required: true, description: 'The monitor id, URL-encoded', schema: inlineSchema(z.string().min(1).max(MAX_ID_LENGTH)),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'jobwatch HTTP API',
      version: '0.1.0',
      description: 'Start, list, inspect and cancel monitors of long-running jobs, and push their statuses. With JOBWATCH_KEYS_FILE or ' +
        'JOBWATCH_API_TOKEN set, every /api route needs `Authorization: Bearer <key>`, a key with the scope the route names ' +
        '(`read`, `start`, `push`, `cancel`; `admin` holds them all); /callbacks routes carry their own token.',
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/monitors': {
        post: {
          summary: 'Start a monitor',
          description: 'Status, batch status and notification URLs must be under a prefix of JOBWATCH_ALLOWED_STATUS_URLS (unset: loopback URLs only; ' +
            '`sources`: none, only monitors of named sources), and their paths must not climb with an encoded `..` (`%2e`, `%2f`, `%5c`, encoded once or more). ' +
            'No key of metadata, at any depth, nor any param may be `__proto__`, `constructor` or `prototype`. ' +
            'Give exactly one of statusUrl, batchStatusUrl, statusHook: true and source (with its params), and at most one of expireIn and expireAt. ' +
            'A source and its params are checked against the server\'s sources file (JOBWATCH_SOURCES).',
          requestBody: { required: true, content: json('MonitorInput') },
          responses: {
            201: reply('Started', 'MonitorState'),
            200: reply('A monitor with this id already exists for the same job; nothing new was started', 'MonitorState'),
            400: reply('Invalid input; `field` names what was wrong and `reason` says why'),
            408: BODY_TIMEOUT,
            409: reply('The monitor id is taken, in this namespace, by a monitor of another job'),
            413: reply('Body over JOBWATCH_MAX_BODY_BYTES'),
            429: QUOTA_REFUSAL,
            ...API_ERRORS,
          },
        },
        get: {
          summary: 'List monitors, newest first: running ones (by start), then ended ones (by finish)',
          parameters: listParameters(),
          responses: { 200: reply('A page of monitors', 'MonitorPage'), 400: reply('Invalid query parameter; `field` names it'), ...API_ERRORS },
        },
      },
      '/api/operations': {
        post: {
          summary: "Start an operation: jobwatch sends the source's start request, with an idempotency key, and watches what it answers",
          description: "The source must declare a start request (`start` in the sources file). The monitor exists, in the `starting` state, before the request is sent; " +
            'its first step sends it, and retries it on a connection error, a timeout, a 5xx or a 429 with the same key. See docs/operations.md.',
          requestBody: { required: true, content: json('OperationInput') },
          responses: {
            201: reply('Started: the start request is due now', 'MonitorState'),
            200: reply('An operation with this id exists for the same source and request; nothing new was started or sent', 'MonitorState'),
            400: reply('Invalid input; `field` names what was wrong and `reason` says why'),
            408: BODY_TIMEOUT,
            409: reply('The id is taken, in this namespace, by an operation of another request (or a monitor)'),
            413: reply('Body over JOBWATCH_MAX_BODY_BYTES'),
            429: QUOTA_REFUSAL,
            ...API_ERRORS,
          },
        },
      },
      '/api/monitors/{id}': {
        get: {
          summary: "A monitor's state: live from Redis while it runs, its final record once it has ended",
          parameters: [monitorIdParameter, NAMESPACE_PARAMETER],
          responses: { 200: reply('The monitor', 'MonitorState'), 400: BAD_NAMESPACE, 404: reply('No monitor with this id'), ...API_ERRORS },
        },
        delete: {
          summary: 'Cancel a monitor; one that has already ended is returned as it is',
          parameters: [monitorIdParameter, NAMESPACE_PARAMETER],
          responses: { 200: reply('The canceled (or already ended) monitor', 'MonitorState'), 400: BAD_NAMESPACE, 404: reply('No monitor with this id'), ...API_ERRORS },
        },
      },
      '/api/monitors/{id}/status': {
        post: {
          summary: "Push the job's status: a terminal one ends the monitor now, a running one is recorded as its last status",
          parameters: [monitorIdParameter, NAMESPACE_PARAMETER],
          requestBody: { required: true, content: json('PushedStatus') },
          responses: { ...PUSH_ANSWERS, ...API_ERRORS },
        },
      },
      '/callbacks/{id}/{token}': {
        post: {
          summary: 'The same push, without the API token: the token in the path is an HMAC of the monitor id (JOBWATCH_CALLBACK_SECRET)',
          description: 'The answer says only whether the push counted and where the monitor stands (`accepted`, `state`, `outcome`): a callback URL ' +
            'is handed to a job service to prove its right to push, not to read the monitor. Before this, it answered the whole monitor, as the API route does.',
          security: [],
          parameters: [monitorIdParameter, { name: 'token', in: 'path', required: true, description: 'The callback token, as in `callbackUrl`', schema: { type: 'string' } }],
          requestBody: { required: true, content: json('PushedStatus') },
          responses: { ...CALLBACK_ANSWERS, 404: reply('A wrong token, or callbacks are off; the same answer as an unknown route'), 503: API_ERRORS[503] },
        },
      },
      '/callbacks/{namespace}/{id}/{token}': {
        post: {
          summary: 'The callback push of a monitor outside the default namespace: the token is an HMAC of its namespace and id',
          description: 'The answer says only whether the push counted and where the monitor stands (`accepted`, `state`, `outcome`): a callback URL ' +
            'is handed to a job service to prove its right to push, not to read the monitor. Before this, it answered the whole monitor, as the API route does.',
          security: [],
          parameters: [{ name: 'namespace', in: 'path', required: true, description: "The monitor's namespace", schema: { type: 'string' } }, monitorIdParameter, { name: 'token', in: 'path', required: true, description: 'The callback token, as in `callbackUrl`', schema: { type: 'string' } }],
          requestBody: { required: true, content: json('PushedStatus') },
          responses: { ...CALLBACK_ANSWERS, 404: reply('A wrong token, or callbacks are off; the same answer as an unknown route'), 503: API_ERRORS[503] },
        },
      },
      '/api/monitors/{id}/checks': {
        get: {
          summary: "A monitor's status checks, oldest first, as JOBWATCH_HISTORY (or the monitor's `history`) kept them",
          parameters: [monitorIdParameter, NAMESPACE_PARAMETER, ...checkParameters()],
          responses: {
            200: reply('A page of checks', 'CheckPage'), 400: reply('Invalid query parameter; `field` names it'),
            404: reply('No monitor with this id'), ...API_ERRORS,
          },
        },
      },
      '/api/sources': {
        get: {
          summary: 'The sources of JOBWATCH_SOURCES: how each is read, its params and auth, and whether the server can read its credentials (never a value)',
          responses: { 200: reply('Every source', 'SourceList'), ...API_ERRORS },
        },
      },
      '/api/sources/{name}/try': {
        post: {
          summary: 'One real status check of a source for a job, as a worker makes it; starts nothing. A failed check is a 200 with `read: failed`',
          parameters: [{ name: 'name', in: 'path', required: true, description: 'The source, as the sources file names it', schema: { type: 'string' } }, NAMESPACE_PARAMETER],
          requestBody: { required: true, content: json('SourceTryInput') },
          responses: {
            200: reply('What was read and how it was decided', 'SourceTry'),
            400: reply('Unknown source, or a missing, extra or bad param; `field` names it'),
            413: reply('Body over JOBWATCH_MAX_BODY_BYTES'),
            ...API_ERRORS,
          },
        },
      },
      '/api/quotas': {
        get: {
          summary: "Each namespace's use of its quotas against them: every namespace with running monitors, starts or early pushes counted, and those JOBWATCH_NAMESPACE_QUOTAS names",
          responses: { 200: reply('Every namespace, by name', 'QuotaList'), ...API_ERRORS },
        },
      },
      '/api/openapi.json': {
        get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1 JSON', content: { 'application/json': {} } }, 401: API_ERRORS[401] } },
      },
      '/healthz': {
        get: {
          summary: 'Whether Redis and Postgres answer (each given 2 s); never needs a token',
          security: [],
          responses: { 200: reply('Both answer', 'HealthReport'), 503: reply('At least one is down', 'HealthReport') },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: componentSchemas(),
    },
  };
}
