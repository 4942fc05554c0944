import { LIST_STATES, MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT } from '../client/list-query.ts';
import { OUTCOMES } from '../monitor/statuses.ts';
import { MAX_ID_LENGTH, MAX_METADATA_BYTES, MAX_STATUS_URL_LENGTH } from '../monitor/limits.ts';

const json = (schema: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } });
const reply = (description: string, schema = 'Error') => ({ description, content: json(schema) });
const monitorIdParameter = {
  name: 'id', in: 'path', required: true, description: 'The monitor id, URL-encoded', schema: { type: 'string', maxLength: MAX_ID_LENGTH },
};
const unauthorized = reply('Missing or wrong bearer token (only when JOBWATCH_API_TOKEN is set)');
const duration = {
  oneOf: [{ type: 'integer', description: 'milliseconds' }, { type: 'string', examples: ['30s', '5m', '2h'] }],
};
const isoTime = { type: 'string', format: 'date-time' };

/** The OpenAPI description served at GET /api/openapi.json; a test checks it names every route. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'jobwatch HTTP API',
      version: '0.1.0',
      description: 'Start, list, inspect and cancel monitors of long-running jobs. With JOBWATCH_API_TOKEN set, ' +
        'every /api route needs `Authorization: Bearer <token>`.',
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/monitors': {
        post: {
          summary: 'Start a monitor',
          description: 'Status URLs must be under a prefix of JOBWATCH_ALLOWED_STATUS_URLS (unset: loopback URLs only).',
          requestBody: { required: true, content: json('MonitorInput') },
          responses: {
            201: reply('Started', 'MonitorState'),
            200: reply('A monitor with this id already exists for the same job; nothing new was started', 'MonitorState'),
            400: reply('Invalid input; `field` names what was wrong'),
            401: unauthorized,
            409: reply('The monitor id is taken by a monitor of another job'),
            413: reply('Body over JOBWATCH_MAX_BODY_BYTES'),
          },
        },
        get: {
          summary: 'List monitors, newest first: running ones (by start), then ended ones (by finish)',
          parameters: [
            { name: 'state', in: 'query', schema: { type: 'string', enum: LIST_STATES } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT } },
            { name: 'cursor', in: 'query', description: 'nextCursor of the previous page', schema: { type: 'string' } },
          ],
          responses: { 200: reply('A page of monitors', 'MonitorPage'), 400: reply('Invalid query parameter'), 401: unauthorized },
        },
      },
      '/api/monitors/{id}': {
        get: {
          summary: "A monitor's state: live from Redis while it runs, its final record once it has ended",
          parameters: [monitorIdParameter],
          responses: { 200: reply('The monitor', 'MonitorState'), 401: unauthorized, 404: reply('No monitor with this id') },
        },
        delete: {
          summary: 'Cancel a monitor; one that has already ended is returned as it is',
          parameters: [monitorIdParameter],
          responses: { 200: reply('The canceled (or already ended) monitor', 'MonitorState'), 401: unauthorized, 404: reply('No monitor with this id') },
        },
      },
      '/api/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1 JSON' }, 401: unauthorized } } },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        MonitorInput: {
          type: 'object',
          required: ['jobId'],
          additionalProperties: false,
          properties: {
            jobId: { type: 'string', maxLength: MAX_ID_LENGTH },
            statusUrl: { type: 'string', maxLength: MAX_STATUS_URL_LENGTH, description: 'GET this URL for the status; {jobId} is replaced' },
            statusHook: { type: 'boolean', description: "Read the status through the workers' status hook instead of a URL" },
            monitorId: { type: 'string', maxLength: MAX_ID_LENGTH, description: 'Defaults to the jobId' },
            interval: duration,
            expireIn: duration,
            expireAt: isoTime,
            statusField: { type: 'string', default: 'status', description: 'Dotted path to the status in the JSON body' },
            metadata: { type: 'object', description: `At most ${MAX_METADATA_BYTES} bytes of JSON` },
          },
        },
        MonitorState: {
          oneOf: [{ $ref: '#/components/schemas/RunningMonitor' }, { $ref: '#/components/schemas/EndedMonitor' }],
          discriminator: { propertyName: 'state' },
        },
        RunningMonitor: {
          type: 'object',
          properties: {
            monitorId: { type: 'string' }, jobId: { type: 'string' }, state: { enum: ['scheduled', 'polling'] },
            polls: { type: 'integer' }, lastStatus: { type: ['string', 'null'] }, lastError: { type: ['string', 'null'] },
            nextPollAt: isoTime, startedAt: isoTime, expireAt: isoTime, intervalMs: { type: 'integer' },
            statusSource: { type: 'string', description: 'The status URL without credentials or query, or `hook`' },
            statusField: { type: 'string' }, metadata: { type: ['object', 'null'] },
          },
        },
        EndedMonitor: {
          type: 'object',
          properties: {
            monitorId: { type: 'string' }, jobId: { type: 'string' }, state: { const: 'ended' }, outcome: { enum: OUTCOMES },
            jobStatus: { type: ['string', 'null'] }, polls: { type: 'integer' }, startedAt: isoTime, finishedAt: isoTime,
            detail: {}, metadata: { type: ['object', 'null'] },
            persisted: { type: 'boolean', description: 'False while the record waits in Redis for Postgres' },
          },
        },
        MonitorPage: {
          type: 'object',
          properties: {
            monitors: { type: 'array', items: { $ref: '#/components/schemas/MonitorState' } },
            nextCursor: { type: ['string', 'null'] },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'string' }, field: { type: 'string', description: 'The input field that was wrong' } },
        },
      },
    },
  };
}
