import { describe, expect, it } from 'vitest';
import { decideAfterCheck, decideBeforeCheck, type PollPolicy } from '../../src/monitor/decide.ts';
import type { MonitorContext } from '../../src/monitor/context.ts';
import { fingerprintOf, idempotencyKey, parseOperationInput, type OperationDefaults } from '../../src/monitor/operation-input.ts';
import type { StartOutcome } from '../../src/monitor/operation.ts';
import { createVocabulary } from '../../src/monitor/statuses.ts';
import { checkOperationSource } from '../../src/sources/check-monitor-source.ts';
import type { HttpAnswer } from '../../src/sources/http-answer.ts';
import { parseSources } from '../../src/sources/sources-file.ts';
import { readStartAnswer } from '../../src/sources/start-answer.ts';

const START_URL = 'https://render.internal/renders';
const SOURCES = parseSources({
  sources: {
    render: { start: { url: START_URL }, convention: 'http-202', allowedOrigins: ['https://status.render.internal'] },
    jobs: { start: { url: 'https://jobs.internal/{team}/jobs', jobIdPath: 'job.id' }, url: 'https://jobs.internal/{team}/jobs/{jobId}', params: ['team'], statusPath: 'state' },
    plain: { url: 'https://plain.internal/jobs/{jobId}' },
  },
});
const render = SOURCES.byName.render!;
const jobs = SOURCES.byName.jobs!;

function answer(statusCode: number, headers: Record<string, string> = {}, body?: unknown): HttpAnswer {
  return {
    statusCode, headers, where: `POST ${START_URL}`, url: START_URL, receivedAt: 0,
    body: body === undefined ? { kind: 'empty' } : { kind: 'json', value: body },
  };
}

describe('readStartAnswer: how the answer to a start request is read', () => {
  it.each<[string, HttpAnswer, object]>([
    ['202 with Location, relative', answer(202, { location: '/renders/7/status' }), { kind: 'watch', url: 'https://render.internal/renders/7/status' }],
    ['202 with Location and Retry-After', answer(202, { location: '/renders/7', 'retry-after': '3' }), { kind: 'watch', retryAfterMs: 3_000 }],
    ['201 with Operation-Location, which wins over Location', answer(201, { 'operation-location': 'https://render.internal/ops/1?api-version=1', location: '/other' }), { kind: 'watch', url: 'https://render.internal/ops/1?api-version=1' }],
    ['200 with Azure-AsyncOperation at an allowed origin', answer(200, { 'azure-asyncoperation': 'https://status.render.internal/ops/2' }), { kind: 'watch', url: 'https://status.render.internal/ops/2' }],
    ['a Location at another origin', answer(202, { location: 'https://evil.example/ops/1' }), { kind: 'refused', reason: expect.stringMatching(/https:\/\/evil\.example, which is neither/) }],
    ['a Location at the metadata address', answer(202, { location: 'http://169.254.169.254/latest/meta-data/' }), { kind: 'refused' }],
    ['a Location that is not http(s)', answer(202, { location: 'file:///etc/passwd' }), { kind: 'refused' }],
    ['a Location longer than a status URL may be', answer(202, { location: `/renders/${'x'.repeat(3_000)}` }), { kind: 'refused', reason: expect.stringMatching(/characters to watch; at most/) }],
    ['200 with nothing to watch: done, with its body', answer(200, {}, { url: 'https://cdn/7.mp4' }), { kind: 'done', output: { url: 'https://cdn/7.mp4' } }],
    ['204: done, with no output', answer(204), { kind: 'done', output: null }],
    ['202 with nothing to watch', answer(202), { kind: 'refused', reason: expect.stringMatching(/nothing to watch/) }],
    ['a 400', answer(400, {}, { error: 'bad scene' }), { kind: 'refused', status: 400, body: { error: 'bad scene' } }],
    ['a 404', answer(404), { kind: 'refused', status: 404 }],
    ['a 302 redirect is not followed', answer(302, { location: '/elsewhere' }), { kind: 'refused', status: 302 }],
  ])('%s', (_name, given, expected) => {
    expect(readStartAnswer(render, given, START_URL)).toMatchObject(expected);
  });

  it.each([[500], [503], [429], [408]])('%i is a failed check, retried with the same key', (status) => {
    expect(readStartAnswer(render, answer(status, { 'retry-after': '2' }), START_URL)).toMatchObject({ reason: 'http-status', httpStatus: status, retryAfterMs: 2_000 });
  });

  it('with jobIdPath: the job id in the body, or a failure naming the path', () => {
    const url = 'https://jobs.internal/a/jobs';
    expect(readStartAnswer(jobs, { ...answer(201, {}, { job: { id: 77 } }), url }, url)).toMatchObject({ kind: 'watch-job', jobId: '77' });
    expect(readStartAnswer(jobs, { ...answer(201, {}, { job: {} }), url }, url)).toMatchObject({ kind: 'refused', reason: 'the start answer has no job id at job.id' });
    // A Location still wins over the path.
    expect(readStartAnswer(jobs, { ...answer(202, { location: '/a/jobs/9' }, { job: { id: 9 } }), url }, url)).toMatchObject({ kind: 'watch', url: 'https://jobs.internal/a/jobs/9' });
  });
});

describe('the sources file: start and allowedOrigins', () => {
  const problem = (source: unknown) => () => parseSources({ sources: { s: source } });
  it.each<[string, unknown, RegExp]>([
    ['a start URL with {jobId}', { start: { url: 'https://x/{jobId}' }, convention: 'http-202' }, /start\.url: must not hold \{jobId\}/],
    ['url without jobIdPath', { start: { url: 'https://x/jobs' }, url: 'https://x/jobs/{jobId}' }, /url: is polled with the job id that start\.jobIdPath reads/],
    ['jobIdPath without url', { start: { url: 'https://x/jobs', jobIdPath: 'id' }, convention: 'http-202' }, /start\.jobIdPath: needs "url"/],
    ['allowedOrigins without start', { url: 'https://x/jobs/{jobId}', allowedOrigins: ['https://y'] }, /allowedOrigins: applies to a source with "start" only/],
    ['an origin with a path', { start: { url: 'https://x/jobs' }, convention: 'http-202', allowedOrigins: ['https://y/path'] }, /allowedOrigins\[0\]: must be an origin alone/],
    ['a start with batch', { start: { url: 'https://x/jobs' }, batch: 'https://x/batch', statusPath: 'state' }, /start: goes with "url"/],
    ['a bad idempotency header', { start: { url: 'https://x/jobs', idempotencyHeader: 'Bad Header' }, convention: 'http-202' }, /start\.idempotencyHeader: must be a header name/],
  ])('%s is refused with one line', (_name, source, expected) => {
    expect(problem(source)).toThrow(expected);
  });

  it('an operation gives exactly the params of its start and poll URLs', () => {
    expect(checkOperationSource(SOURCES, 'jobs', { team: 'a' }).name).toBe('jobs');
    expect(() => checkOperationSource(SOURCES, 'jobs', {})).toThrow(/team/);
    expect(() => checkOperationSource(SOURCES, 'jobs', { team: 'a', extra: '1' })).toThrow(/extra: is not a param/);
    expect(() => checkOperationSource(SOURCES, 'plain', {})).toThrow(/declares no start request/);
  });
});

const DEFAULTS: OperationDefaults = {
  intervalMs: 60_000, expireInMs: 3_600_000, deployment: 'jobwatch',
  checkOperation: (name, params, namespace) => checkOperationSource(SOURCES, name, params, namespace),
};
const T0 = 1_700_000_000_000;

describe('parseOperationInput', () => {
  it('makes a monitor with no job id whose start is due now, keyed to the deployment, namespace and id', () => {
    const operation = parseOperationInput({ source: 'render', monitorId: 'r-1', request: { body: { scene: 7 } } }, DEFAULTS, T0);
    expect(operation).toMatchObject({ monitorId: 'r-1', jobId: null, nextCheckAt: T0, status: { kind: 'source', name: 'render' } });
    expect(operation.operation).toEqual({
      phase: 'starting', body: { scene: 7 }, idempotencyKey: idempotencyKey('jobwatch', 'default', 'r-1'), fingerprint: fingerprintOf('render', {}, { scene: 7 }),
    });
    expect(idempotencyKey('jobwatch', 'team-a', 'r-1')).not.toBe(operation.operation.idempotencyKey);
    expect(idempotencyKey('other-deployment', 'default', 'r-1')).not.toBe(operation.operation.idempotencyKey);
    expect(parseOperationInput({ source: 'render' }, DEFAULTS, T0).monitorId).toMatch(/^op-/);
  });

  it('the fingerprint ignores member order, and tells bodies, params and sources apart', () => {
    expect(fingerprintOf('render', {}, { a: 1, b: [1, { c: 2, d: 3 }] })).toBe(fingerprintOf('render', {}, { b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(fingerprintOf('render', {}, { a: 1 })).not.toBe(fingerprintOf('render', {}, { a: 2 }));
    expect(fingerprintOf('render', { team: 'a' }, null)).not.toBe(fingerprintOf('render', { team: 'b' }, null));
    expect(fingerprintOf('render', {}, null)).not.toBe(fingerprintOf('jobs', {}, null));
  });

  it.each<[string, unknown, RegExp]>([
    ['a jobId', { source: 'render', jobId: 'j' }, /^jobId: is not a field of an operation/],
    ['a statusUrl', { source: 'render', statusUrl: 'https://x' }, /^statusUrl: is not a field of an operation/],
    ['top-level params', { source: 'render', params: {} }, /^params: .*give request\.params/],
    ['a source without start', { source: 'plain' }, /^source: "plain" declares no start request/],
    ['an unknown request field', { source: 'render', request: { bodyy: 1 } }, /^request: /],
    ['a body over 16 KiB', { source: 'render', request: { body: { big: 'x'.repeat(17_000) } } }, /^request\.body: must be at most/],
    ['a body that is not an object', 'render', /^body: must be a JSON object/],
    ['an empty id', { source: 'render', monitorId: '' }, /^monitorId: must not be empty/],
    ['a param the source does not take', { source: 'render', request: { params: { scene: '7' } } }, /^request\.params\.scene: is not a param/],
  ])('%s is refused naming the field', (_name, raw, expected) => {
    expect(() => parseOperationInput(raw, DEFAULTS, T0)).toThrow(expected);
  });
});

describe('what a start answer decides', () => {
  const policy: PollPolicy = { vocabulary: createVocabulary({}), maxConsecutiveFailures: 3, retryBaseMs: 100, retryMaxMs: 1_000, notFoundEndsMonitor: false };
  const starting = (): MonitorContext => parseOperationInput({ source: 'render', monitorId: 'r-1', interval: '30s' }, DEFAULTS, T0) as MonitorContext;
  const started = (outcome: StartOutcome) => ({ ok: true as const, status: 'Started', body: null, started: outcome });

  it('watch: the answer is recorded, the URL watched, and the first poll follows Retry-After, else the interval', () => {
    const after = decideAfterCheck(starting(), started({ kind: 'watch', status: 202, url: 'https://render.internal/ops/1', retryAfterMs: 2_000 }), T0 + 10, policy, 0);
    expect(after).toMatchObject({
      kind: 'reschedule', at: T0 + 2_010,
      context: { polls: 1, jobId: null, status: { url: 'https://render.internal/ops/1' }, operation: { phase: 'started', answer: { status: 202, watching: 'https://render.internal/ops/1' } } },
    });
    expect(decideAfterCheck(starting(), started({ kind: 'watch', status: 202, url: 'https://render.internal/ops/1' }), T0 + 10, policy, 0)).toMatchObject({ at: T0 + 30_010 });
  });

  it('watch-job: the job id read becomes the monitor\'s', () => {
    const after = decideAfterCheck(starting(), started({ kind: 'watch-job', status: 201, jobId: 'job-9' }), T0, policy, 0);
    expect(after).toMatchObject({ kind: 'reschedule', context: { jobId: 'job-9', operation: { answer: { status: 201, jobId: 'job-9' } } } });
  });

  it('done and refused end the operation, with what the record needs', () => {
    expect(decideAfterCheck(starting(), started({ kind: 'done', status: 200, output: { a: 1 } }), T0, policy, 0)).toMatchObject({
      kind: 'finish', result: { outcome: 'completed', jobId: null, detail: { via: 'start', output: { a: 1 } }, operation: { answer: { status: 200 } } },
    });
    expect(decideAfterCheck(starting(), started({ kind: 'refused', status: 400, reason: 'no', body: { e: 1 } }), T0, policy, 0)).toMatchObject({
      kind: 'finish', result: { outcome: 'failed', jobId: null, detail: { start: { status: 400, reason: 'no', body: { e: 1 } } } },
    });
  });

  it('a failed start is retried as a failed check, and the expiry while starting ends it as any expiry does', () => {
    const failed = decideAfterCheck(starting(), { ok: false, failure: { reason: 'http-status', httpStatus: 503, message: 'POST answered 503' } }, T0, policy, 0);
    expect(failed).toMatchObject({ kind: 'reschedule', reason: 'retry', context: { consecutiveFailures: 1, operation: { phase: 'starting' } } });
    const late = { ...starting(), expireAt: T0 + 1 };
    expect(decideBeforeCheck(late, T0 + 2, false)).toMatchObject({ kind: 'finish', result: { outcome: 'expired', jobId: null } });
  });
});
