import { z } from 'zod';
import type { MonitorPage } from '../client/list-monitors.ts';
import { monitorStateSchema } from '../client/monitor-state.ts';
import type { PushAnswer } from '../client/push-answer.ts';
import { OUTCOMES } from '../monitor/statuses.ts';
import type { SourceSummary } from '../status/source-list.ts';
import type { SourceTry } from '../status/source-try.ts';

/**
 * The bodies the HTTP API sends that are not the client's own types. With the monitor input
 * (src/monitor/input.ts) and the monitor states (src/client/monitor-state.ts) they are what the
 * OpenAPI document is generated from, and the handlers' answers are typed by them.
 */

/** Every error answer: one line saying what was wrong; for bad input, which value and why, apart. */
export const errorBodySchema = z.object({
  error: z.string().meta({ description: 'What was wrong and what to do, as one line' }),
  field: z.string().optional().meta({ description: 'The input value that was wrong (400; 408 and 413 name `body`), e.g. `interval` or `monitor` for the body as a whole' }),
  reason: z.string().optional().meta({ description: 'What is wrong with `field`, without its name (400, 408, 413)' }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** A page of `GET /api/monitors`. */
export const monitorPageSchema = z.object({
  monitors: z.array(monitorStateSchema).meta({ description: 'Running monitors newest-started first, then ended ones newest-finished first' }),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
});
// The client declares MonitorPage itself; this fails to compile if the two ever differ.
const samePage: [MonitorPage, z.infer<typeof monitorPageSchema>] extends [z.infer<typeof monitorPageSchema>, MonitorPage] ? true : false = true;
void samePage;

/**
 * What a push through a callback URL answers: whether it counted, and where the monitor stands,
 * nothing more. A callback URL is handed to a job service to prove its right to push, not to read:
 * metadata, detail and the status source are for API token holders.
 */
export const callbackAnswerSchema = z.object({
  accepted: z.boolean().meta({ description: 'True when this push decided the end, was recorded, or was kept for a monitor not started yet; false when the monitor had already ended (it is unchanged)' }),
  state: z.enum(['starting', 'scheduled', 'polling', 'ended', 'not-started']).meta({ description: "The monitor's state after the push; `not-started`: no monitor has this id yet, the status is kept for it" }),
  outcome: z.enum(OUTCOMES).nullable().meta({ description: 'How the monitor ended; null while it runs or before it starts' }),
});
export type CallbackAnswer = z.infer<typeof callbackAnswerSchema>;

/** The callback's share of a push's answer. */
export function callbackAnswer(answer: PushAnswer): CallbackAnswer {
  return { accepted: answer.accepted, state: answer.state, outcome: answer.state === 'ended' ? answer.outcome : null };
}

/** `GET /healthz`: each service `ok` or `down: <reason>`. */
export const healthReportSchema = z.object({
  status: z.enum(['ok', 'down']),
  redis: z.string().meta({ description: '`ok`, or `down: ` and a code or short message' }),
  postgres: z.string().meta({ description: '`ok`, or `down: ` and a code or short message' }),
});
export type HealthReport = z.infer<typeof healthReportSchema>;

/** `POST /api/sources/{name}/try`: the job to check, and the source's params. */
export const sourceTryInputSchema = z.strictObject({
  jobId: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).meta({ description: "The job's id in the source's service" }),
  params: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of param names and values' }).optional()
    .meta({ description: "Values for the source's params, as a monitor gives them" }),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : 'must be an object') });

const failureSchema = z.object({
  reason: z.string(), message: z.string(), httpStatus: z.number().optional(), retryAfterMs: z.number().optional(),
});

/** What one tried check read, and how it was decided. */
export const sourceTrySchema = z.object({
  source: z.string(),
  jobId: z.string(),
  request: z.string().meta({ description: 'The request, without query or credentials, e.g. `GET https://api.github.com/repos/acme/api/actions/runs/17`' }),
  read: z.enum(['running', 'ended', 'failed']).meta({ description: '`running` or `ended` when a status was read; `failed` when the check failed' }),
  status: z.string().optional(),
  outcome: z.string().optional(),
  httpStatus: z.number().optional(),
  retryAfterMs: z.number().optional(),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  failure: failureSchema.optional(),
  decidedBy: z.object({ source: z.string().optional(), convention: z.string().optional(), mapping: z.string().optional() }),
});

/** `GET /api/sources`: each source, never a secret. */
export const sourceListSchema = z.object({
  sources: z.array(z.object({
    name: z.string(),
    target: z.enum(['url', 'hook', 'batch', 'answered']).meta({ description: '`answered`: watched at the URL its start request answers (an operation source)' }),
    starts: z.boolean().meta({ description: 'Whether the source declares a start request: operations can be started through it (POST /api/operations)' }),
    reads: z.string().meta({ description: '`convention <name>`, or `mapping <status path>`' }),
    params: z.array(z.string()),
    auth: z.string().meta({ description: '`none`, `bearer`, `basic`, `header <name>` or `clientCert`' }),
    credentials: z.union([z.object({ resolved: z.literal(true) }), z.object({ resolved: z.literal(false), problem: z.string() })])
      .meta({ description: 'Whether the server can read the credentials now; when not, where it looked (never a value)' }),
    rateKey: z.string(),
  })),
});
// status/ declares both answers itself; these fail to compile if an answer no longer fits its schema.
const sameTry: SourceTry extends z.infer<typeof sourceTrySchema> ? true : false = true;
const sameSummary: SourceSummary extends z.infer<typeof sourceListSchema>['sources'][number] ? true : false = true;
void sameTry;
void sameSummary;

/** What each quota counts, and its limit (`null`: no quota), as `GET /api/quotas` answers them. */
const quotaCounts = <T extends z.ZodType>(value: T) => z.object({
  runningMonitors: value.meta({ description: 'Monitors running' }),
  startsPerSecond: value.meta({ description: 'Monitors started in the last second' }),
  earlyPushes: value.meta({ description: 'Early pushes kept' }),
  earlyPushBytes: value.meta({ description: 'Bytes those early pushes hold' }),
});

export const quotaListSchema = z.object({
  namespaces: z.array(z.object({
    namespace: z.string(),
    used: quotaCounts(z.number().int().min(0)),
    limits: quotaCounts(z.number().int().min(0).nullable()).meta({ description: "The namespace's quotas (a key may have its own); null: none" }),
  })),
});
