import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fake job services for tests, one per long-running-operation convention, each written from its
 * public specification (not from jobwatch's readers): the Azure REST API guidelines' status
 * monitor, Azure Resource Manager's async operations, Google's AIP-151 operations, the OpenAI
 * Batch API, a Kubernetes batch/v1 Job, a GitHub Actions workflow run, and the asynchronous
 * request-reply pattern (HTTP 202). A job walks through its running answers, one per request
 * (progress-bound: no clock), then gives its chosen ending for ever after. Every request must
 * carry the credential given at construction; one without answers 401, as the real services do.
 */

export const FAKE_CONVENTIONS = ['http-202', 'azure-operation', 'azure-arm', 'google-operation', 'openai-batch', 'kubernetes-job', 'github-actions-run'] as const;
export type FakeConvention = (typeof FAKE_CONVENTIONS)[number];

/** The credential a fake demands: a bearer token, or an API key in a header. */
export type FakeAuth = { bearer: string } | { header: { name: string; value: string } };

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface FakeJob {
  id: string;
  ending: string;
  runningPolls: number;
  polls: number;
}

/** What a fake knows of its convention: its URL, its params, its endings and how it answers. */
interface FakeSpec {
  /** The path template (after the origin) of the job's status, with `{jobId}` and the spec's params. */
  path: string;
  /** Values for the path's other params, as a monitor would give them. */
  params: Record<string, string>;
  endings: readonly string[];
  /** The answer to the `poll`-th request (0-based) of a job still running. */
  running(job: FakeJob, poll: number, base: string): FakeAnswer;
  ending(job: FakeJob, base: string): FakeAnswer;
}

export interface FakeJobService {
  convention: FakeConvention;
  /** The source URL template of this fake, e.g. `http://127.0.0.1:PORT/v1/batches/{jobId}`. */
  template: string;
  /** The params the template declares, and the values a monitor of this fake gives them. */
  paramNames: string[];
  params: Record<string, string>;
  /** The endings this fake's spec has, for `createJob`. */
  endings: readonly string[];
  /** A job that answers `runningPolls` running answers, then `ending`. Returns its id. */
  createJob(ending: string, options?: { runningPolls?: number }): string;
  /** The job gives its ending from its next request on, however many running answers it had left. */
  finishJob(jobId: string): void;
  /** From now on only this credential is accepted (a rotated token). */
  setAuth(auth: FakeAuth): void;
  /** Requests that reached a path starting with `prefix` (credentials right or not). */
  requestsTo(prefix: string): number;
  close(): Promise<void>;
}

/** The Retry-After the fakes send where their spec has one, in seconds. */
export const FAKE_RETRY_AFTER_SECONDS = 3;
const RETRY = { 'Retry-After': String(FAKE_RETRY_AFTER_SECONDS) };

const SPECS: Record<FakeConvention, FakeSpec> = {
  // Asynchronous request-reply: 202 + Location + Retry-After while running; then the result, or a redirect to it.
  'http-202': {
    path: '/v1/tasks/{jobId}',
    params: {},
    endings: ['ok', 'created', 'no-content', 'see-other', 'found', 'server-error'],
    running: (job, _poll, base) => ({ status: 202, headers: { ...RETRY, Location: `${base}/v1/tasks/${job.id}` }, body: { state: 'Running' } }),
    ending: (job, base) => {
      switch (job.ending) {
        case 'ok': return { status: 200, body: { id: job.id, rows: 3 } };
        case 'created': return { status: 201, headers: { Location: `${base}/v1/results/${job.id}` }, body: { id: job.id } };
        case 'no-content': return { status: 204 };
        case 'see-other': return { status: 303, headers: { Location: `/v1/results/${job.id}` } };
        case 'found': return { status: 302, headers: { Location: `${base}/v1/results/${job.id}` } };
        default: return { status: 500, body: { error: 'the task crashed' } };
      }
    },
  },
  // Azure REST API guidelines, status monitor: 200 throughout; status NotStarted|Running|Succeeded|Failed|Canceled.
  'azure-operation': {
    path: '/operations/{jobId}?api-version={apiVersion}',
    params: { apiVersion: '2024-01-01' },
    endings: ['Succeeded', 'Failed', 'Canceled'],
    running: (job, poll) => ({ status: 200, headers: RETRY, body: { id: job.id, status: poll === 0 ? 'NotStarted' : 'Running' } }),
    ending: (job) => ({
      status: 200,
      body: {
        id: job.id, status: job.ending,
        ...(job.ending === 'Succeeded' ? { result: { modelId: `m-${job.id}` } } : {}),
        ...(job.ending === 'Failed' ? { error: { code: 'TrainingFailed', message: 'the data had no rows' } } : {}),
      },
    }),
  },
  // ARM: Location polling (202 while running, 200 resource or 204 when done) or an Azure-AsyncOperation body.
  'azure-arm': {
    path: '/subscriptions/{subscription}/providers/Microsoft.Fake/locations/westus/operationResults/{jobId}',
    params: { subscription: '00000000-0000-0000-0000-000000000001' },
    endings: ['Succeeded', 'NoContent', 'Failed', 'Canceled'],
    running: (job, _poll, base) => (job.ending === 'Failed' || job.ending === 'Canceled'
      ? { status: 200, headers: RETRY, body: { id: job.id, name: job.id, status: 'InProgress', startTime: '2026-01-01T00:00:00Z' } }
      : { status: 202, headers: { ...RETRY, Location: `${base}/operationResults/${job.id}` } }),
    ending: (job) => {
      switch (job.ending) {
        case 'Succeeded': return { status: 200, body: { id: `/fake/${job.id}`, name: job.id, properties: { provisioningState: 'Succeeded', sku: 'S1' } } };
        case 'NoContent': return { status: 204 };
        case 'Failed': return { status: 200, body: { id: job.id, status: 'Failed', error: { code: 'QuotaExceeded', message: 'no cores left' } } };
        default: return { status: 200, body: { id: job.id, status: 'Canceled' } };
      }
    },
  },
  // AIP-151: done false (or left out) while running; done true with response or error (code 1 when cancelled).
  'google-operation': {
    path: '/v1/projects/{project}/locations/{location}/operations/{jobId}',
    params: { project: 'demo', location: 'us-central1' },
    endings: ['response', 'error', 'cancelled'],
    running: (job, poll) => ({ status: 200, body: { name: opName(job), metadata: { '@type': 'type.googleapis.com/fake.Metadata', progressPercent: poll * 10 }, ...(poll === 0 ? {} : { done: false }) } }),
    ending: (job) => {
      const result = job.ending === 'response'
        ? { response: { '@type': 'type.googleapis.com/fake.Result', uri: `gs://out/${job.id}` } }
        : { error: job.ending === 'cancelled' ? { code: 1, message: 'Operation was cancelled.' } : { code: 4, message: 'Deadline exceeded.', details: [] } };
      return { status: 200, body: { name: opName(job), done: true, ...result } };
    },
  },
  // OpenAI Batch API: validating -> in_progress -> finalizing -> completed, or failed at validation, expired, cancelling -> cancelled.
  'openai-batch': {
    path: '/v1/batches/{jobId}',
    params: {},
    endings: ['completed', 'failed', 'expired', 'cancelled'],
    running: (job, poll) => {
      const phases = job.ending === 'failed' ? ['validating'] : job.ending === 'cancelled' ? ['validating', 'in_progress', 'cancelling'] : ['validating', 'in_progress', 'finalizing'];
      return { status: 200, body: batch(job, phases[Math.min(poll, phases.length - 1)]!) };
    },
    ending: (job) => ({
      status: 200,
      body: {
        ...batch(job, job.ending),
        ...(job.ending === 'completed' ? { output_file_id: `file-out-${job.id}`, error_file_id: `file-err-${job.id}` } : {}),
        ...(job.ending === 'expired' ? { output_file_id: `file-part-${job.id}` } : {}),
        ...(job.ending === 'cancelled' ? { error_file_id: `file-err-${job.id}` } : {}),
        ...(job.ending === 'failed' ? { errors: { object: 'list', data: [{ code: 'invalid_json_line', message: 'line 2 is not JSON', line: 2 }] } } : {}),
      },
    }),
  },
  // batch/v1 Job: the interim SuccessCriteriaMet or FailureTarget condition shows a poll before Complete or Failed.
  'kubernetes-job': {
    path: '/apis/batch/v1/namespaces/{namespace}/jobs/{jobId}',
    params: { namespace: 'renders' },
    endings: ['Complete', 'Failed'],
    running: (job, poll) => {
      const last = poll === job.runningPolls - 1;
      const interim = job.ending === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget';
      return { status: 200, body: k8sJob(job, { active: 1, ...(last ? { conditions: [condition(interim)] } : {}) }) };
    },
    ending: (job) => (job.ending === 'Complete'
      ? { status: 200, body: k8sJob(job, { succeeded: 1, completionTime: '2026-01-01T00:10:00Z', conditions: [condition('SuccessCriteriaMet'), condition('Complete')] }) }
      : { status: 200, body: k8sJob(job, { failed: 4, conditions: [condition('FailureTarget', 'BackoffLimitExceeded'), condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')] }) }),
  },
  // A workflow run: queued -> in_progress -> completed with a conclusion.
  'github-actions-run': {
    path: '/repos/{owner}/{repo}/actions/runs/{jobId}',
    params: { owner: 'acme', repo: 'web' },
    endings: ['success', 'failure', 'cancelled', 'timed_out'],
    running: (job, poll) => ({ status: 200, body: run(job, poll === 0 ? 'queued' : 'in_progress', null) }),
    ending: (job) => ({ status: 200, body: run(job, 'completed', job.ending) }),
  },
};

function opName(job: FakeJob): string {
  return `projects/demo/locations/us-central1/operations/${job.id}`;
}

function batch(job: FakeJob, status: string): Record<string, unknown> {
  return { id: job.id, object: 'batch', endpoint: '/v1/chat/completions', input_file_id: 'file-in', completion_window: '24h', status, output_file_id: null, error_file_id: null, created_at: 1_767_225_600 };
}

function condition(type: string, reason?: string, message?: string): Record<string, string> {
  return { type, status: 'True', lastTransitionTime: '2026-01-01T00:09:00Z', ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function k8sJob(job: FakeJob, status: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: job.id, namespace: 'renders' }, spec: { backoffLimit: 3 }, status: { startTime: '2026-01-01T00:00:00Z', ...status } };
}

function run(job: FakeJob, status: string, conclusion: string | null): Record<string, unknown> {
  return { id: Number(job.id.replace(/\D/g, '')) || 1, name: 'CI', status, conclusion, html_url: `https://github.com/acme/web/actions/runs/${job.id}`, run_attempt: 1 };
}

function authorized(request: IncomingMessage, auth: FakeAuth): boolean {
  if ('bearer' in auth) return request.headers.authorization === `Bearer ${auth.bearer}`;
  return request.headers[auth.header.name.toLowerCase()] === auth.header.value;
}

/** Starts the fake of one convention on a free loopback port. */
export async function startFakeJobService(convention: FakeConvention, initialAuth: FakeAuth): Promise<FakeJobService> {
  const spec = SPECS[convention];
  const jobs = new Map<string, FakeJob>();
  const hits: string[] = [];
  const pattern = new RegExp(`^${spec.path.split('?')[0]!.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'jobId' ? '(?<jobId>[^/]+)' : '[^/]+'))}$`);
  let base = '';
  let created = 0;
  let auth = initialAuth;

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    hits.push(url.pathname);
    const send = ({ status, headers = {}, body }: FakeAnswer) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      response.writeHead(status, { ...headers, ...(text ? { 'content-type': 'application/json' } : {}) });
      response.end(text);
    };
    if (!authorized(request, auth)) return send({ status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: { error: { code: 'Unauthorized', message: 'no valid credentials' } } });
    if (url.pathname.startsWith('/v1/results/')) return send({ status: 200, body: { result: 'the result itself' } });
    const jobId = pattern.exec(url.pathname)?.groups?.jobId;
    const job = jobId === undefined ? undefined : jobs.get(decodeURIComponent(jobId));
    if (!job) return send({ status: 404, body: { error: { code: 'NotFound', message: 'no such job' } } });
    const poll = job.polls++;
    send(poll < job.runningPolls ? spec.running(job, poll, base) : spec.ending(job, base));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    convention,
    template: `${base}${spec.path}`,
    paramNames: Object.keys(spec.params),
    params: { ...spec.params },
    endings: spec.endings,
    createJob(ending, options = {}) {
      if (!spec.endings.includes(ending)) throw new Error(`the ${convention} fake has no ending ${ending}; it has ${spec.endings.join(', ')}`);
      const id = `job-${++created}`;
      jobs.set(id, { id, ending, runningPolls: options.runningPolls ?? 2, polls: 0 });
      return id;
    },
    finishJob(jobId) {
      const job = jobs.get(jobId);
      if (!job) throw new Error(`the ${convention} fake has no job ${jobId}`);
      job.runningPolls = job.polls;
    },
    setAuth(next) {
      auth = next;
    },
    requestsTo: (prefix) => hits.filter((path) => path.startsWith(prefix)).length,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}
