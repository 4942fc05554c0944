import { describeUrl } from '../monitor/describe-url.ts';
import type { StatusCheckFailure } from '../monitor/reading.ts';
import { checkMonitorSource } from '../sources/check-monitor-source.ts';
import type { DecidedBy } from '../sources/source-reading.ts';
import type { Source, Sources } from '../sources/sources-file.ts';
import { expandUrlTemplate } from '../sources/url-template.ts';
import type { SecretEnv } from './source-credentials.ts';
import { SourceStatusProvider } from './source-provider.ts';

/** What one tried check of a source read, and how it was decided: `jobwatch sources try`, `POST /api/sources/{name}/try`. */
export interface SourceTry {
  source: string;
  jobId: string;
  /** The request, without query or credentials: `GET https://api.github.com/repos/acme/api/actions/runs/17`, `POST <batch URL>`, or `hook ./hooks/x.mjs`. */
  request: string;
  /** `running` or `ended` when a status was read; `failed` when the check failed. */
  read: 'running' | 'ended' | 'failed';
  status?: string;
  outcome?: string;
  httpStatus?: number;
  retryAfterMs?: number;
  output?: unknown;
  error?: unknown;
  failure?: StatusCheckFailure;
  decidedBy: DecidedBy;
}

/**
 * Makes one real check of a source for a job, as a worker's poll would (the same provider,
 * credentials and reader), and starts nothing. The source and params are checked first, as at a
 * monitor's start: a bad one throws InvalidInputError; given a namespace, a source not open to it
 * throws ForbiddenError, and its credentials are not used.
 */
export async function trySource(
  sources: Sources | undefined, env: SecretEnv, timeoutMs: number, name: string, jobId: string, params: Readonly<Record<string, string>>,
  namespace?: string,
): Promise<SourceTry> {
  const source = checkMonitorSource(sources, name, jobId, params, namespace);
  const provider = new SourceStatusProvider({ sources, timeoutMs, env });
  try {
    const reading = await provider.check(source, jobId, params);
    const request = describeRequest(source, jobId, params);
    const base = { source: name, jobId, request, decidedBy: reading.decidedBy };
    if (!reading.ok) return { ...base, read: 'failed', failure: reading.failure };
    if (reading.state === 'running') {
      return { ...base, read: 'running', status: reading.status, httpStatus: reading.httpStatus, ...(reading.retryAfterMs === undefined ? {} : { retryAfterMs: reading.retryAfterMs }) };
    }
    const { outcome, status, httpStatus, output, error } = reading;
    return { ...base, read: 'ended', outcome, status, httpStatus, ...(output === undefined ? {} : { output }), ...(error === undefined ? {} : { error }) };
  } finally {
    await provider.close();
  }
}

/** The request a try made, for people: the method and URL, or the hook module. */
function describeRequest({ target }: Source, jobId: string, params: Readonly<Record<string, string>>): string {
  switch (target.kind) {
    case 'hook':
      return `hook ${target.module}`;
    case 'answered':
      // checkMonitorSource refuses these: they have no URL until a start answers one.
      return 'the URL a start request answers';
    case 'url':
      return `${target.method} ${describeUrl(expandUrlTemplate(target.template, jobId, params))}`;
    case 'batch':
      return `POST ${describeUrl(expandUrlTemplate(target.template, jobId, params))}`;
  }
}
