import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { InvalidInputError } from '../errors/errors.ts';
import { toBoundedJson } from '../json/bounded-json.ts';
import type { MonitorContext } from './context.ts';
import { monitorInputSchema, parseMonitorInput, type MonitorDefaults, type MonitorInput } from './input.ts';
import { MAX_METADATA_BYTES } from './input-limits.ts';
import { DEFAULT_NAMESPACE } from './namespace.ts';
import type { OperationContext } from './operation.ts';

/**
 * What starts an operation: the source whose start request jobwatch sends, the request's body and
 * params, and the monitor's own fields (its id is the operation's id, which makes a repeated start
 * idempotent). Every monitor field but the job's id and where its status is read may be given.
 */
export type OperationInput = Omit<MonitorInput, 'jobId' | 'statusUrl' | 'batchStatusUrl' | 'statusHook' | 'source' | 'params'> & {
  source: string;
  request?: { body?: unknown; params?: Record<string, string> };
};

/** Checks an operation's source and params against the sources file; answers the source's rate key. */
export type OperationSourceCheck = (name: string, params: Readonly<Record<string, string>>, namespace: string) => { rateKey: string };

export interface OperationDefaults extends MonitorDefaults {
  checkOperation?: OperationSourceCheck;
  /** What tells this deployment apart (its JOBWATCH_PREFIX): part of every idempotency key. */
  deployment: string;
}

/** A validated operation, as the client enqueues it: a monitor context whose first step is the start request. */
export type ValidatedOperation = Readonly<MonitorContext> & { readonly operation: OperationContext };

const requestSchema = z.strictObject({
  body: z.unknown().optional().meta({ description: 'The JSON body of the start request (at most 16 KiB); absent: none is sent' }),
  params: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of param names and values' }).optional()
    .meta({ description: "Values for the params of the source's start URL and poll URL" }),
}, { error: 'must be an object with body and params' });

/**
 * An operation's input as the API document describes it: a monitor's fields, less the job's id and
 * where its status is read, with the source and its start request. (parseOperationInput validates it.)
 */
export const operationInputSchema = monitorInputSchema.omit({ jobId: true, statusUrl: true, batchStatusUrl: true, statusHook: true, params: true }).extend({
  source: z.string().meta({ description: 'A source of the sources file that declares a start request' }),
  request: requestSchema.optional(),
  monitorId: z.string().optional().meta({ description: "The operation's id (its monitor's): starting it again with the same request returns it; absent: a new id" }),
});

/**
 * Validates an operation as parseMonitorInput validates a monitor (the same fields, the same
 * one-line errors), then makes it an operation: no job id yet, the start request due now, and the
 * operation's idempotency key and fingerprint.
 */
export function parseOperationInput(raw: unknown, defaults: OperationDefaults, now: number): ValidatedOperation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidInputError('body', 'must be a JSON object such as {"source": "render", "request": {"body": {}}}');
  const { request, ...fields } = raw as Record<string, unknown>;
  for (const field of ['jobId', 'statusUrl', 'batchStatusUrl', 'statusHook', 'params'] as const) {
    if (fields[field] !== undefined) throw new InvalidInputError(field, `is not a field of an operation: its source's start request answers the job (${field === 'params' ? 'give request.params' : 'leave it out'})`);
  }
  const parsedRequest = requestSchema.safeParse(request ?? {});
  if (!parsedRequest.success) {
    const issue = parsedRequest.error.issues[0]!;
    throw new InvalidInputError(['request', ...issue.path.filter((part): part is string | number => typeof part !== 'symbol')], issue.message);
  }
  const { body, params = {} } = parsedRequest.data;
  checkBody(body);
  if (typeof fields.source !== 'string') throw new InvalidInputError('source', 'must name a source of the sources file that declares a start request');
  const monitorId = typeof fields.monitorId === 'string' ? fields.monitorId : `op-${randomUUID()}`;
  const checkOperation = defaults.checkOperation;
  const monitor = asOperationError(() => parseMonitorInput({ ...fields, monitorId, jobId: monitorId, source: fields.source, params }, {
    ...defaults,
    checkSource: (name, _jobId, given, namespace) => {
      if (!checkOperation) throw new InvalidInputError('source', 'this deployment has no sources file; set JOBWATCH_SOURCES to one whose source declares a start request');
      return checkOperation(name, given, namespace);
    },
  }, now));
  const namespace = monitor.namespace ?? DEFAULT_NAMESPACE;
  // The monitor's first-poll rule applies to the first poll after the start, not to the start itself.
  const firstPollInMs = fields.firstPollIn === undefined ? undefined : monitor.nextCheckAt - now;
  const operation: OperationContext = {
    phase: 'starting',
    ...(body === undefined ? {} : { body }),
    idempotencyKey: idempotencyKey(defaults.deployment, namespace, monitorId),
    fingerprint: fingerprintOf(fields.source, params, body),
    ...(firstPollInMs === undefined ? {} : { firstPollInMs }),
  };
  // The start request is the first step, due now; what it answers decides when the first poll is.
  const validatedOperation = Object.freeze({ ...monitor, jobId: null, nextCheckAt: now, operation: Object.freeze(operation) });
  VALIDATED.add(validatedOperation);
  return validatedOperation;
}

/** The objects `parseOperationInput` returned: a WeakSet, so that the brand cannot be forged by copying fields. */
const VALIDATED = new WeakSet<object>();

export function isValidatedOperation(input: unknown): input is ValidatedOperation {
  return typeof input === 'object' && input !== null && VALIDATED.has(input);
}

/**
 * The monitor's checks, each naming what the operation's caller gave: a param as
 * `request.params.scene`, and the operation's id (which stands in for the job id until the start
 * answers one) as `monitorId`.
 */
function asOperationError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    if (error.path[0] === 'params') throw error.under(['request']);
    if (error.path[0] === 'jobId') throw error.at(['monitorId', ...error.path.slice(1)]);
    throw error;
  }
}

/**
 * The key every try of an operation's start request carries: the same for the same operation
 * (deployment, namespace and id), whatever process sends it, and telling nothing of them.
 */
export function idempotencyKey(deployment: string, namespace: string, operationId: string): string {
  return `jobwatch-${createHash('sha256').update(`${deployment}\n${namespace}\n${operationId}`).digest('hex').slice(0, 40)}`;
}

/** What tells one operation's request from another: its source, params and body (member order aside). */
export function fingerprintOf(source: string, params: Readonly<Record<string, string>>, body: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical({ source, params, body: body ?? null }))).digest('hex');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
}

function checkBody(body: unknown): void {
  if (body === undefined) return;
  const json = toBoundedJson(body, { maxBytes: MAX_METADATA_BYTES });
  if (!json.ok) throw new InvalidInputError(['request', 'body'], json.problem === 'too-large' ? `must be at most ${MAX_METADATA_BYTES} bytes of JSON` : json.reason);
}
