import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerFromBytes } from '../../src/sources/http-answer.ts';
import { readSourceAnswer } from '../../src/sources/read-answer.ts';
import type { SourceAuth } from '../../src/sources/source-auth.ts';
import type { SourceReading } from '../../src/sources/source-reading.ts';
import { parseSources, sourceNamed, type Source } from '../../src/sources/sources-file.ts';
import { expandUrlTemplate } from '../../src/sources/url-template.ts';
import {
  FAKE_CONVENTIONS, FAKE_RETRY_AFTER_SECONDS, startFakeJobService, type FakeAuth, type FakeConvention, type FakeJobService,
} from '../helpers/fake-job-services.ts';

/**
 * Each convention's reader against a fake job service written from that convention's spec, over
 * real HTTP: a source is declared as a user would (a sources file with credentials by env name),
 * its URL expanded for the job, the request sent with fetch (redirects not followed, as the
 * provider does not follow them), and every answer read until the job ends.
 */

const ENV = { FAKE_TOKEN: 'tok-3f9a1c77e2', FAKE_KEY: 'key-81d0b4' };
const RUNNING_POLLS = 3;
const RETRY_MS = FAKE_RETRY_AFTER_SECONDS * 1_000;
/** The conventions whose spec gives Retry-After on running answers; the others' running readings have none. */
const RETRY_AFTER_SPECS: readonly FakeConvention[] = ['http-202', 'azure-operation', 'azure-arm'];

/** How each ending of each fake must be read. */
const EXPECTED: Record<FakeConvention, Record<string, Record<string, unknown>>> = {
  'http-202': {
    'ok': { state: 'ended', outcome: 'completed', status: 'OK', output: { id: expect.any(String), rows: 3 } },
    'created': { state: 'ended', outcome: 'completed', status: 'Created' },
    'no-content': { state: 'ended', outcome: 'completed', status: 'No Content' },
    'see-other': { state: 'ended', outcome: 'completed', status: 'See Other', output: { location: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1\/results\/job-\d+$/) } },
    'found': { state: 'ended', outcome: 'completed', status: 'Found', output: { location: expect.stringContaining('/v1/results/') } },
    'server-error': { ok: false, failure: { reason: 'http-status', httpStatus: 500 } },
  },
  'azure-operation': {
    Succeeded: { outcome: 'completed', status: 'Succeeded', output: { modelId: expect.stringMatching(/^m-job-/) } },
    Failed: { outcome: 'failed', status: 'Failed', error: { code: 'TrainingFailed', message: 'the data had no rows' } },
    Canceled: { outcome: 'canceled', status: 'Canceled' },
  },
  'azure-arm': {
    Succeeded: { outcome: 'completed', status: 'Succeeded', output: { provisioningState: 'Succeeded', sku: 'S1' } },
    NoContent: { outcome: 'completed', status: 'Succeeded', httpStatus: 204 },
    Failed: { outcome: 'failed', status: 'Failed', error: { code: 'QuotaExceeded', message: 'no cores left' } },
    Canceled: { outcome: 'canceled', status: 'Canceled' },
  },
  'google-operation': {
    response: { outcome: 'completed', status: 'DONE', output: { '@type': 'type.googleapis.com/fake.Result', uri: expect.stringMatching(/^gs:\/\/out\//) } },
    error: { outcome: 'failed', status: 'DEADLINE_EXCEEDED', error: { code: 4, message: 'Deadline exceeded.', details: [] } },
    cancelled: { outcome: 'canceled', status: 'CANCELLED', error: { code: 1, message: 'Operation was cancelled.' } },
  },
  'openai-batch': {
    completed: { outcome: 'completed', status: 'completed', output: { output_file_id: expect.stringMatching(/^file-out-/), error_file_id: expect.stringMatching(/^file-err-/) } },
    failed: { outcome: 'failed', status: 'failed', output: {}, error: { object: 'list', data: [expect.objectContaining({ code: 'invalid_json_line' })] } },
    expired: { outcome: 'failed', status: 'expired', output: { output_file_id: expect.stringMatching(/^file-part-/) } },
    cancelled: { outcome: 'canceled', status: 'cancelled', output: { error_file_id: expect.stringMatching(/^file-err-/) } },
  },
  'kubernetes-job': {
    Complete: { outcome: 'completed', status: 'Complete', output: expect.objectContaining({ succeeded: 1 }) },
    Failed: { outcome: 'failed', status: 'Failed', error: { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' } },
  },
  'github-actions-run': {
    success: { outcome: 'completed', status: 'success', output: { html_url: expect.stringContaining('/actions/runs/') } },
    failure: { outcome: 'failed', status: 'failure', error: { conclusion: 'failure' } },
    cancelled: { outcome: 'canceled', status: 'cancelled' },
    timed_out: { outcome: 'failed', status: 'timed_out' },
  },
};

/** The credential each fake demands and how its source names it: an API key for one, bearer tokens for the rest. */
function credentialsOf(convention: FakeConvention): { fake: FakeAuth; auth: unknown } {
  if (convention === 'http-202') return { fake: { header: { name: 'X-Api-Key', value: ENV.FAKE_KEY } }, auth: { header: { name: 'X-Api-Key', env: 'FAKE_KEY' } } };
  return { fake: { bearer: ENV.FAKE_TOKEN }, auth: { bearer: { env: 'FAKE_TOKEN' } } };
}

/** What the wiring will do with a source's auth: resolve each secret by name and set its header. */
function authHeaders(auth: SourceAuth | undefined): Record<string, string> {
  const secret = (ref: { env: string } | { file: string }) => ('env' in ref ? ENV[ref.env as keyof typeof ENV] : '');
  if (auth?.kind === 'bearer') return { authorization: `Bearer ${secret(auth.token)}` };
  if (auth?.kind === 'header') return { [auth.name]: secret(auth.value) };
  return {};
}

async function check(source: Source, service: FakeJobService, jobId: string, withCredentials = true): Promise<SourceReading> {
  if (source.target.kind !== 'url') throw new Error('a convention source has a url');
  const url = expandUrlTemplate(source.target.template, jobId, service.params);
  const response = await fetch(url, { headers: withCredentials ? authHeaders(source.auth) : {}, redirect: 'manual' });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const answer = answerFromBytes({ statusCode: response.status, headers: Object.fromEntries(response.headers), where: `GET ${url}`, url }, bytes);
  return readSourceAnswer(source.reader, answer, source.name);
}

describe.each(FAKE_CONVENTIONS)('the %s convention against its fake service', (convention) => {
  let service: FakeJobService;
  let source: Source;

  beforeAll(async () => {
    const { fake, auth } = credentialsOf(convention);
    service = await startFakeJobService(convention, fake);
    const sources = parseSources({ sources: { fake: { url: service.template, params: service.paramNames, convention, auth } } });
    source = sourceNamed(sources, 'fake')!;
  });
  afterAll(() => service.close());

  it('has an expectation for every ending its spec has', () => {
    expect(Object.keys(EXPECTED[convention]).sort()).toEqual([...service.endings].sort());
  });

  it.each(Object.keys(EXPECTED[convention]))('walks a job through running to the ending %s', async (ending) => {
    const jobId = service.createJob(ending, { runningPolls: RUNNING_POLLS });
    const readings: SourceReading[] = [];
    for (let request = 0; request < RUNNING_POLLS + 1; request++) readings.push(await check(source, service, jobId));

    for (const reading of readings.slice(0, RUNNING_POLLS)) {
      expect(reading).toMatchObject({ ok: true, state: 'running', decidedBy: { source: 'fake', convention } });
      if (RETRY_AFTER_SPECS.includes(convention)) expect(reading).toMatchObject({ retryAfterMs: RETRY_MS });
      else expect(reading).not.toHaveProperty('retryAfterMs');
    }
    expect(readings.at(-1)).toMatchObject({ ...(EXPECTED[convention][ending]!.ok === false ? {} : { ok: true, state: 'ended' }), ...EXPECTED[convention][ending] });
    // The end stands: asking again gives the same end.
    expect(await check(source, service, jobId)).toEqual(readings.at(-1));
  });

  it('is refused without credentials: a failed check that points at them', async () => {
    const jobId = service.createJob(service.endings[0]!);
    expect(await check(source, service, jobId, false)).toMatchObject({ ok: false, failure: { reason: 'http-status', httpStatus: 401, message: expect.stringContaining('credentials') } });
  });

  it('reads an unknown job as not-found', async () => {
    expect(await check(source, service, 'job-none')).toMatchObject({ ok: false, failure: { reason: 'not-found', httpStatus: 404 } });
  });
});

describe('the http-202 convention\'s redirects', () => {
  it('keep the Location without fetching it', async () => {
    const service = await startFakeJobService('http-202', { bearer: ENV.FAKE_TOKEN });
    try {
      const source = sourceNamed(parseSources({ sources: { r: { url: service.template, convention: 'http-202', auth: { bearer: { env: 'FAKE_TOKEN' } } } } }), 'r')!;
      for (const ending of ['see-other', 'found']) {
        const jobId = service.createJob(ending, { runningPolls: 0 });
        expect(await check(source, service, jobId)).toMatchObject({ state: 'ended', output: { location: `${new URL(service.template).origin}/v1/results/${jobId}` } });
      }
      expect(service.requestsTo('/v1/results/')).toBe(0);
      expect(service.requestsTo('/v1/tasks/')).toBe(2);
    } finally {
      await service.close();
    }
  });
});
