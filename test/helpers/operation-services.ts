import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeAuth } from './fake-job-services.ts';

/**
 * Fake job services that are *started* by their client, one per way a long-running-operation API
 * answers a start, each written from its public specification (not from jobwatch's readers):
 * - `http-202`, the asynchronous request-reply pattern: `POST` answers 202 with `Location` (of a
 *   status endpoint) and `Retry-After`; the status endpoint answers 202 while the work goes on,
 *   then 200 with the result or 303 See Other to it;
 * - `azure`, the Azure REST API guidelines' long-running operations: `POST` answers 202 (a `PUT`
 *   201) with an absolute `Operation-Location` (or ARM's `Azure-AsyncOperation`), whose status
 *   monitor answers 200 with `status` NotStarted, Running, then Succeeded, Failed or Canceled;
 * - `body-id`: `POST` answers 201 with the job id in the body and no `Location`;
 * - `sync`: `POST` does the work at once and answers 200 with the result (or 201, or 204).
 * Every start honours the IETF `Idempotency-Key` draft (draft-ietf-httpapi-idempotency-key-header)
 * unless told not to: the same key with the same request replays the stored answer and creates no
 * job; the same key with another request is 422; a key whose first request is still being
 * answered is 409. A job walks through its running answers one per poll (progress, not the clock).
 */

export const OPERATION_STYLES = ['http-202', 'azure', 'body-id', 'sync'] as const;
export type OperationStyle = (typeof OPERATION_STYLES)[number];

/** Each style's endings, for `ending` (every job from now on) or a start body's `fake.ending` (that job). */
export const OPERATION_ENDINGS = {
  'http-202': ['ok', 'see-other'],
  'azure': ['Succeeded', 'Failed', 'Canceled'],
  'body-id': ['Completed', 'Failed'],
  'sync': ['ok', 'created', 'no-content'],
} as const satisfies Record<OperationStyle, readonly string[]>;

/** The cloud metadata origin, for `locationOrigin`: a Location no client must ever request. Never contacted here. */
export const METADATA_ORIGIN = 'http://169.254.169.254';
export const AZURE_API_VERSION = '2024-01-01';

/** How one style answers; every field can be changed while it runs (`configure`). */
export interface OperationStyleOptions {
  /** Keep answers by idempotency key (see the file comment). @defaultValue true */
  honourKeys?: boolean;
  /** The request header that carries the key. @defaultValue 'Idempotency-Key' */
  keyHeader?: string;
  /** A start without the key answers 400, as the draft allows for an API that documents it. @defaultValue false */
  requireKey?: boolean;
  /** Running answers a job gives before its ending (a start body's `fake.runningPolls` overrides it). @defaultValue 2 */
  runningPolls?: number;
  /** The ending of jobs created from now on (a start body's `fake.ending` overrides it). @defaultValue the style's first */
  ending?: string;
  /** `Retry-After` seconds on the start answer and on running answers; null sends none. @defaultValue 1 */
  retryAfter?: number | null;
  /** http-202: an absolute `Location` on the start answer instead of a relative one. @defaultValue false */
  absoluteLocation?: boolean;
  /** azure: the header that points at the status monitor. @defaultValue 'Operation-Location' */
  operationHeader?: 'Operation-Location' | 'Azure-AsyncOperation';
  /** azure: the start answer's status. @defaultValue 202 for POST, 201 for PUT */
  startStatus?: number;
  /** body-id: the start answer's body. @defaultValue (id) => ({ id, state: 'queued' }) */
  startBody?: (jobId: string) => unknown;
  /** http-202 and azure: point the start answer's location at this origin (same path); null: this service's. @defaultValue null */
  locationOrigin?: string | null;
  /** http-202 and azure: the whole location, overriding the above (e.g. `http://169.254.169.254/latest/meta-data/`). */
  locationFor?: ((jobId: string) => string) | null;
  /** Every request (start and poll) must carry this credential, or it answers 401. @defaultValue none */
  auth?: FakeAuth | null;
}

export interface OperationServicesOptions extends OperationStyleOptions {
  /** Per style, over the shared options above. */
  styles?: Partial<Record<OperationStyle, OperationStyleOptions>>;
}

/** One request as a service saw it. Header names are lower-case; several values are joined with ', '. */
export interface LoggedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What became of a start request. */
export type StartOutcome = 'created' | 'replayed' | 'in-flight-conflict' | 'key-mismatch' | 'missing-key' | 'failed-on-purpose' | 'unauthorized';

export interface StartRecord extends LoggedRequest {
  /** The idempotency key it carried (the style's `keyHeader`), if any. */
  key: string | undefined;
  outcome: StartOutcome;
  /** The status of the answer (sent, or held, or lost with the client). */
  status: number;
  /** The job it created or replayed. */
  jobId: string | undefined;
  /** The client went away before the answer was sent (a held start whose worker was killed). */
  clientGone: boolean;
}

export interface OperationJob {
  id: string;
  ending: string;
  runningPolls: number;
  /** Requests for this job (status and result), refused or not. */
  polls: number;
  /** Status answers given (a poll refused for its query is not one): the job's progress. */
  statusAnswers: number;
  /** The start body, parsed when it was JSON; the result echoes it. */
  input: unknown;
}

/** One style's fake: its URLs, its controls and what it saw. */
export interface OperationStyleFake {
  style: OperationStyle;
  /** The absolute start URL (POST; azure takes PUT too, and both take one more path segment, e.g. `/azure/jobs/{name}`). */
  startUrl: string;
  startMethod: 'POST';
  /** The absolute status URL template with `{jobId}`; null for `sync`, which has nothing to watch. */
  pollTemplate: string | null;
  configure(options: OperationStyleOptions): void;
  /** Same as `configure({ locationOrigin })`. */
  locationOrigin(origin: string | null): void;
  /** The next `count` starts answer `status` without creating a job or keeping their key (an outage, a refusal). */
  failStarts(count: number, status: number, answer?: { retryAfter?: number; body?: unknown }): void;
  /**
   * Answers of starts that create a job wait (the job is created at once) until `releaseStarts`,
   * or until their client goes away; replays and refusals are not held.
   */
  holdStarts(): void;
  releaseStarts(): void;
  /** Starts answered held right now (their client still there). */
  heldStarts(): number;
  /** Resolves as the next start arrives, after its job (if any) was created and before it is answered. */
  nextStartArrived(): Promise<StartRecord>;
  starts(): readonly StartRecord[];
  startCount(): number;
  /** The key each start carried, in order (undefined where it had none). */
  startKeys(): Array<string | undefined>;
  jobsCreated(): number;
  jobs(): readonly OperationJob[];
  /** The job gives its ending from its next poll on. */
  finishJob(jobId: string): void;
  setJob(jobId: string, change: { runningPolls?: number; ending?: string }): void;
  /** Polls of one job, or of all this style's jobs (result fetches after a 303 included). */
  polls(jobId?: string): number;
}

/** A second origin that answers every request 200 `{}` and counts it: a location there must never be requested. */
export interface CountingOrigin {
  url: string;
  requests(): readonly LoggedRequest[];
  count(): number;
}

export interface OperationServices {
  /** The origin of every style, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  http202: OperationStyleFake;
  azure: OperationStyleFake;
  bodyId: OperationStyleFake;
  sync: OperationStyleFake;
  style(name: OperationStyle): OperationStyleFake;
  otherOrigin: CountingOrigin;
  /** Every request this origin received, in order of arrival. */
  requests(): readonly LoggedRequest[];
  requestsTo(pathPrefix: string): number;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The start paths (one optional segment more, for a start URL template) and status routes of each style. */
const ROUTES: Record<OperationStyle, { start: RegExp; poll: RegExp | null; pollPath: string | null }> = {
  'http-202': { start: /^\/async\/jobs(\/[^/]+)?$/, poll: /^\/async\/(?:jobs\/(?<job>[^/]+)\/status|results\/(?<result>[^/]+))$/, pollPath: '/async/jobs/{jobId}/status' },
  'azure': { start: /^\/azure\/jobs(\/[^/]+)?$/, poll: /^\/azure\/operations\/(?<job>[^/]+)$/, pollPath: `/azure/operations/{jobId}?api-version=${AZURE_API_VERSION}` },
  'body-id': { start: /^\/api\/jobs$/, poll: /^\/api\/jobs\/(?<job>[^/]+)$/, pollPath: '/api/jobs/{jobId}' },
  'sync': { start: /^\/sync\/jobs(\/[^/]+)?$/, poll: null, pollPath: null },
};

const PROBLEM = { 'content-type': 'application/problem+json' };

/** The key's record: the request's fingerprint, and its answer once it is given (or its client has gone). */
interface KeyRecord {
  fingerprint: string;
  answer: Answer;
  jobId: string | undefined;
  done: boolean;
}

/** The state and answers of one style; the server routes each request to one of these. */
class StyleService {
  readonly jobsById = new Map<string, OperationJob>();
  readonly keys = new Map<string, KeyRecord>();
  readonly startLog: StartRecord[] = [];
  readonly failures: Answer[] = [];
  readonly arrivals: Array<(start: StartRecord) => void> = [];
  holding = false;
  held: Array<() => void> = [];
  heldNow = 0;
  pollCount = 0;
  options: Required<OperationStyleOptions>;

  constructor(readonly style: OperationStyle, readonly base: string, options: OperationStyleOptions) {
    this.options = {
      honourKeys: true, keyHeader: 'Idempotency-Key', requireKey: false, runningPolls: 2, ending: OPERATION_ENDINGS[style][0],
      retryAfter: 1, absoluteLocation: false, operationHeader: 'Operation-Location', startStatus: 0,
      startBody: (id) => ({ id, state: 'queued' }), locationOrigin: null, locationFor: null, auth: null,
    };
    this.configure(options);
  }

  configure(options: OperationStyleOptions): void {
    const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    const ending = defined.ending as string | undefined;
    if (ending !== undefined) this.checkEnding(ending);
    this.options = { ...this.options, ...defined };
  }

  checkEnding(ending: string): void {
    const endings: readonly string[] = OPERATION_ENDINGS[this.style];
    if (!endings.includes(ending)) throw new Error(`the ${this.style} fake has no ending ${ending}; it has ${endings.join(', ')}`);
  }

  async start(request: LoggedRequest, response: ServerResponse): Promise<void> {
    const key = request.headers[this.options.keyHeader.toLowerCase()];
    const record: StartRecord = { ...request, key, outcome: 'created', status: 0, jobId: undefined, clientGone: false };
    this.startLog.push(record);
    const decided = this.decideStart(request, key, record);
    record.status = decided.answer.status;
    for (const arrived of this.arrivals.splice(0)) arrived(record);
    // A real service has done the work by now; only the answer waits. A client that goes away
    // while it waits leaves the key answered, so its retry gets the stored answer, not a 409.
    const clientGone = new Promise<void>((resolve) => response.once('close', () => {
      if (!response.writableFinished) record.clientGone = true;
      resolve();
    }));
    // Only a start that did work is held: its answer is what a crash can lose. Replays and refusals answer at once.
    if (this.holding && record.outcome === 'created') {
      this.heldNow++;
      await Promise.race([new Promise<void>((resolve) => this.held.push(resolve)), clientGone]);
      this.heldNow--;
    }
    if (decided.keyRecord) decided.keyRecord.done = true;
    if (!record.clientGone) send(response, decided.answer);
  }

  /** The answer to a start, after the failures, the key rules and the job it creates. */
  decideStart(request: LoggedRequest, key: string | undefined, record: StartRecord): { answer: Answer; keyRecord?: KeyRecord } {
    const refused = this.refusal(request, key);
    if (refused) {
      record.outcome = refused.outcome;
      return { answer: refused.answer };
    }
    const fingerprint = `${request.method} ${request.path} ${canonicalBody(request.body)}`;
    const known = key !== undefined && this.options.honourKeys ? this.keys.get(key) : undefined;
    if (known) return this.answerKnownKey(known, fingerprint, record);
    const job = this.createJob(request.body);
    record.jobId = job?.id;
    const answer = this.startAnswer(request.method, job);
    if (key === undefined || !this.options.honourKeys) return { answer };
    const keyRecord: KeyRecord = { fingerprint, answer, jobId: job?.id, done: false };
    this.keys.set(key, keyRecord);
    return { answer, keyRecord };
  }

  refusal(request: LoggedRequest, key: string | undefined): { outcome: StartOutcome; answer: Answer } | undefined {
    if (!this.authorized(request)) return { outcome: 'unauthorized', answer: unauthorized() };
    const failure = this.failures.shift();
    if (failure) return { outcome: 'failed-on-purpose', answer: failure };
    if (key === undefined && this.options.requireKey) {
      return { outcome: 'missing-key', answer: problem(400, 'Idempotency-Key is missing', `this operation requires the ${this.options.keyHeader} header`) };
    }
    return undefined;
  }

  answerKnownKey(known: KeyRecord, fingerprint: string, record: StartRecord): { answer: Answer } {
    if (known.fingerprint !== fingerprint) {
      record.outcome = 'key-mismatch';
      return { answer: problem(422, 'Idempotency-Key is already used', 'this key was sent before with another request') };
    }
    if (!known.done) {
      record.outcome = 'in-flight-conflict';
      return { answer: problem(409, 'A request is outstanding for this Idempotency-Key', 'retry once the first request with this key has been answered') };
    }
    record.outcome = 'replayed';
    record.jobId = known.jobId;
    return { answer: { ...known.answer, headers: { ...known.answer.headers, 'Idempotent-Replayed': 'true' } } };
  }

  createJob(body: string): OperationJob {
    const input = parseJson(body);
    const hint = typeof input === 'object' && input !== null ? (input as { fake?: { runningPolls?: number; ending?: string } }).fake : undefined;
    const ending = hint?.ending ?? this.options.ending;
    this.checkEnding(ending);
    const job: OperationJob = { id: `job-${this.jobsById.size + 1}`, ending, runningPolls: hint?.runningPolls ?? this.options.runningPolls, polls: 0, statusAnswers: 0, input };
    this.jobsById.set(job.id, job);
    return job;
  }

  startAnswer(method: string, job: OperationJob): Answer {
    const retry = this.retryHeader();
    switch (this.style) {
      case 'http-202': {
        const path = `/async/jobs/${job.id}/status`;
        return { status: 202, headers: { ...retry, Location: this.location(job.id, path, this.options.absoluteLocation) }, body: { id: job.id, state: 'Accepted' } };
      }
      case 'azure': {
        const status = this.options.startStatus || (method === 'PUT' ? 201 : 202);
        const location = this.location(job.id, `/azure/operations/${job.id}?api-version=${AZURE_API_VERSION}`, true);
        return { status, headers: { ...retry, [this.options.operationHeader]: location }, body: { id: job.id, status: 'NotStarted' } };
      }
      case 'body-id':
        return { status: 201, body: this.options.startBody(job.id) };
      case 'sync':
        return syncAnswer(job);
    }
  }

  /** Where the start answer points: this service (relative or absolute), another origin, or an override. */
  location(jobId: string, path: string, absolute: boolean): string {
    if (this.options.locationFor) return this.options.locationFor(jobId);
    if (this.options.locationOrigin !== null) return `${this.options.locationOrigin}${path}`;
    return absolute ? `${this.base}${path}` : path;
  }

  poll(request: LoggedRequest, route: { job?: string; result?: string }): Answer {
    if (!this.authorized(request)) return unauthorized();
    const job = this.jobsById.get(decodeURIComponent(route.job ?? route.result ?? ''));
    if (!job) return { status: 404, body: { error: { code: 'NotFound', message: 'no such job' } } };
    this.pollCount++;
    job.polls++;
    if (route.result !== undefined) return { status: 200, body: result(job) };
    // The guidelines require api-version on every request: a client must keep the query it was given.
    if (this.style === 'azure' && !new URL(request.path, this.base).searchParams.has('api-version')) {
      return { status: 400, body: { error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' } } };
    }
    const step = job.statusAnswers++;
    return step < job.runningPolls ? this.running(job, step) : this.ended(job);
  }

  running(job: OperationJob, poll: number): Answer {
    const retry = this.retryHeader();
    switch (this.style) {
      case 'http-202': return { status: 202, headers: retry, body: { id: job.id, state: 'Running' } };
      case 'azure': return { status: 200, headers: retry, body: { id: job.id, status: poll === 0 ? 'NotStarted' : 'Running' } };
      default: return { status: 200, body: { id: job.id, status: 'Processing' } };
    }
  }

  ended(job: OperationJob): Answer {
    switch (this.style) {
      case 'http-202':
        return job.ending === 'see-other'
          ? { status: 303, headers: { Location: `/async/results/${job.id}` } }
          : { status: 200, body: result(job) };
      case 'azure':
        return {
          status: 200,
          body: {
            id: job.id, status: job.ending,
            ...(job.ending === 'Succeeded' ? { result: result(job) } : {}),
            ...(job.ending === 'Failed' ? { error: { code: 'RenderFailed', message: 'the scene had no camera' } } : {}),
          },
        };
      default:
        return job.ending === 'Completed'
          ? { status: 200, body: { id: job.id, status: 'Completed', result: result(job) } }
          : { status: 200, body: { id: job.id, status: 'Failed', error: { message: 'the input had no rows' } } };
    }
  }

  retryHeader(): Record<string, string> {
    return this.options.retryAfter === null ? {} : { 'Retry-After': String(this.options.retryAfter) };
  }

  authorized(request: LoggedRequest): boolean {
    const auth = this.options.auth;
    if (!auth) return true;
    if ('bearer' in auth) return request.headers.authorization === `Bearer ${auth.bearer}`;
    return request.headers[auth.header.name.toLowerCase()] === auth.header.value;
  }

  fake(startUrl: string): OperationStyleFake {
    return {
      style: this.style,
      startUrl,
      startMethod: 'POST',
      pollTemplate: ROUTES[this.style].pollPath === null ? null : `${this.base}${ROUTES[this.style].pollPath}`,
      configure: (options) => this.configure(options),
      locationOrigin: (origin) => this.configure({ locationOrigin: origin }),
      failStarts: (count, status, answer = {}) => {
        const failure: Answer = {
          status,
          headers: answer.retryAfter === undefined ? {} : { 'Retry-After': String(answer.retryAfter) },
          body: answer.body ?? (status >= 500 ? { error: { code: 'ServiceUnavailable', message: 'try again later' } } : { error: { code: 'BadRequest', message: 'the request was refused' } }),
        };
        this.failures.push(...Array.from({ length: count }, () => failure));
      },
      holdStarts: () => {
        this.holding = true;
      },
      releaseStarts: () => this.release(),
      heldStarts: () => this.heldNow,
      nextStartArrived: () => new Promise((resolve) => this.arrivals.push(resolve)),
      starts: () => this.startLog,
      startCount: () => this.startLog.length,
      startKeys: () => this.startLog.map((start) => start.key),
      jobsCreated: () => this.jobsById.size,
      jobs: () => [...this.jobsById.values()],
      finishJob: (jobId) => {
        const job = this.jobNamed(jobId);
        job.runningPolls = job.statusAnswers;
      },
      setJob: (jobId, change) => {
        const job = this.jobNamed(jobId);
        if (change.ending !== undefined) this.checkEnding(change.ending);
        Object.assign(job, Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)));
      },
      polls: (jobId) => (jobId === undefined ? this.pollCount : this.jobsById.get(jobId)?.polls ?? 0),
    };
  }

  release(): void {
    this.holding = false;
    for (const release of this.held.splice(0)) release();
  }

  jobNamed(jobId: string): OperationJob {
    const job = this.jobsById.get(jobId);
    if (!job) throw new Error(`the ${this.style} fake has no job ${jobId}`);
    return job;
  }
}

function syncAnswer(job: OperationJob): Answer {
  switch (job.ending) {
    case 'created': return { status: 201, body: { id: job.id, result: result(job) } };
    case 'no-content': return { status: 204 };
    default: return { status: 200, body: { result: result(job) } };
  }
}

function result(job: OperationJob): Record<string, unknown> {
  return { jobId: job.id, frames: 24, input: job.input ?? null };
}

function problem(status: number, title: string, detail: string): Answer {
  return { status, headers: PROBLEM, body: { type: 'about:blank', title, status, detail } };
}

function unauthorized(): Answer {
  return { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: { error: { code: 'Unauthorized', message: 'no valid credentials' } } };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The body as compared for a key: JSON with its keys sorted (a client may order them differently), other text as is. */
function canonicalBody(text: string): string {
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.keys(value).sort().map((name) => [name, sorted((value as Record<string, unknown>)[name])]));
  };
  try {
    return JSON.stringify(sorted(JSON.parse(text)));
  } catch {
    return text;
  }
}

function send(response: ServerResponse, { status, headers = {}, body }: Answer): void {
  if (response.destroyed) return;
  const text = body === undefined || status === 204 ? '' : JSON.stringify(body);
  const type = text && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type') ? { 'content-type': 'application/json' } : {};
  response.writeHead(status, { ...headers, ...type });
  response.end(text);
}

async function readRequest(request: IncomingMessage): Promise<LoggedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { method: request.method ?? 'GET', path: request.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

async function startCountingOrigin(): Promise<{ origin: CountingOrigin; server: Server }> {
  const requests: LoggedRequest[] = [];
  const server = createServer(async (request, response) => {
    requests.push(await readRequest(request));
    send(response, { status: 200, body: {} });
  });
  const url = await listen(server);
  return { server, origin: { url, requests: () => requests, count: () => requests.length } };
}

/** Starts the four styles on one free loopback port, and the other origin on another. */
export async function startOperationServices(options: OperationServicesOptions = {}): Promise<OperationServices> {
  const { styles: perStyle = {}, ...shared } = options;
  const log: LoggedRequest[] = [];
  const services = new Map<OperationStyle, StyleService>();
  const server = createServer(async (incoming, response) => {
    const request = await readRequest(incoming);
    log.push(request);
    try {
      await route(request, response);
    } catch (error) {
      // A test's mistake (an unknown ending in a start body's hint): answered, not an unhandled rejection.
      send(response, { status: 500, body: { error: { code: 'FakeMisuse', message: error instanceof Error ? error.message : String(error) } } });
    }
  });
  const route = async (request: LoggedRequest, response: ServerResponse): Promise<void> => {
    const pathname = new URL(request.path, 'http://x').pathname;
    for (const [style, service] of services) {
      const { start, poll } = ROUTES[style];
      const isStartMethod = request.method === 'POST' || (style === 'azure' && request.method === 'PUT');
      if (isStartMethod && start.test(pathname)) return service.start(request, response);
      const polled = request.method === 'GET' ? poll?.exec(pathname) : null;
      if (polled) return send(response, service.poll(request, polled.groups ?? {}));
    }
    send(response, { status: 404, body: { error: { code: 'NotFound', message: `no route ${request.method} ${pathname}` } } });
  };
  const url = await listen(server);
  for (const style of OPERATION_STYLES) services.set(style, new StyleService(style, url, { ...shared, ...perStyle[style] }));
  const other = await startCountingOrigin();
  const fakes = {
    'http-202': services.get('http-202')!.fake(`${url}/async/jobs`),
    'azure': services.get('azure')!.fake(`${url}/azure/jobs`),
    'body-id': services.get('body-id')!.fake(`${url}/api/jobs`),
    'sync': services.get('sync')!.fake(`${url}/sync/jobs`),
  };
  return {
    url,
    http202: fakes['http-202'],
    azure: fakes.azure,
    bodyId: fakes['body-id'],
    sync: fakes.sync,
    style: (name) => fakes[name],
    otherOrigin: other.origin,
    requests: () => log,
    requestsTo: (prefix) => log.filter((request) => request.path.startsWith(prefix)).length,
    close: async () => {
      for (const service of services.values()) service.release();
      await Promise.all([closeServer(server), closeServer(other.server)]);
    },
  };
}
