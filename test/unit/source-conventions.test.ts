import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONVENTION_READERS, CONVENTIONS, type ConventionName } from '../../src/sources/conventions/index.ts';
import type { HttpAnswer } from '../../src/sources/http-answer.ts';
import { readSourceAnswer } from '../../src/sources/read-answer.ts';
import { endDetail, toStatusReading } from '../../src/sources/source-reading.ts';

/**
 * Every convention's reading of the answers its spec describes, and of the traps: answers that
 * look done and are not (a 200 with `Running`, `FailureTarget`), or look like a status and are
 * not one (a 200 with a status in an http-202 body).
 */

interface Row {
  name: string;
  code: number;
  body?: unknown;
  headers?: Record<string, string>;
  expected: Record<string, unknown>;
}

function answer(row: Pick<Row, 'code' | 'body' | 'headers'>): HttpAnswer {
  return {
    statusCode: row.code,
    headers: row.headers ?? {},
    where: 'GET https://jobs.example.com/v1/things/7',
    url: 'https://jobs.example.com/v1/things/7',
    body: row.body === undefined ? { kind: 'empty' } : typeof row.body === 'string' ? { kind: 'invalid', reason: 'is not valid JSON' } : { kind: 'json', value: row.body },
  };
}

const RETRY = { 'retry-after': '5' };
const running = (status: string, extra: Record<string, unknown> = {}) => ({ ok: true, state: 'running', status, ...extra });
const end = (outcome: string, status: string, extra: Record<string, unknown> = {}) => ({ ok: true, state: 'ended', outcome, status, ...extra });
const failedCheck = (reason: string, extra: Record<string, unknown> = {}) => ({ ok: false, failure: { reason, ...extra } });

const TABLES: Record<ConventionName, Row[]> = {
  'http-202': [
    { name: '202 is running, with Retry-After', code: 202, headers: RETRY, expected: running('Accepted', { retryAfterMs: 5_000 }) },
    { name: '202 with a body is running', code: 202, body: { progress: 0.5 }, expected: running('Accepted') },
    { name: '200 is done, its body the output', code: 200, body: { size: 3 }, expected: end('completed', 'OK', { output: { size: 3 } }) },
    { name: 'trap: 200 with a running status in its body is still done', code: 200, body: { status: 'Running' }, expected: end('completed', 'OK', { output: { status: 'Running' } }) },
    { name: '201 is done', code: 201, body: { id: 'r1' }, expected: end('completed', 'Created') },
    { name: '204 is done, with no output', code: 204, expected: end('completed', 'No Content') },
    { name: '200 with a body that is not JSON is done', code: 200, body: 'not json', expected: end('completed', 'OK') },
    { name: '303 is done, Location kept (resolved) as the output', code: 303, headers: { location: '/v1/results/7' }, expected: end('completed', 'See Other', { output: { location: 'https://jobs.example.com/v1/results/7' } }) },
    { name: '302 is done, Location kept as the output', code: 302, headers: { location: 'https://blobs.example.net/r/7' }, expected: end('completed', 'Found', { output: { location: 'https://blobs.example.net/r/7' } }) },
    { name: '404 is not-found', code: 404, expected: failedCheck('not-found', { httpStatus: 404 }) },
    { name: '500 is a failed check, Retry-After kept', code: 500, headers: RETRY, expected: failedCheck('http-status', { httpStatus: 500, retryAfterMs: 5_000 }) },
    { name: '401 is a failed check that points at the credentials', code: 401, expected: failedCheck('http-status', { httpStatus: 401, message: expect.stringContaining('credentials') }) },
    { name: '301 is not an end of this convention', code: 301, headers: { location: '/x' }, expected: failedCheck('http-status', { httpStatus: 301 }) },
    { name: '206 is not an end of this convention', code: 206, expected: failedCheck('http-status', { httpStatus: 206 }) },
  ],
  'azure-operation': [
    { name: 'NotStarted is running, with Retry-After', code: 200, headers: RETRY, body: { id: 'op', status: 'NotStarted' }, expected: running('NotStarted', { retryAfterMs: 5_000 }) },
    { name: 'trap: a 200 with Running is not done', code: 200, body: { id: 'op', status: 'Running' }, expected: running('Running') },
    { name: 'Succeeded is completed, result kept', code: 200, body: { id: 'op', status: 'Succeeded', result: { model: 'm1' } }, expected: end('completed', 'Succeeded', { output: { model: 'm1' } }) },
    { name: 'Failed is failed, error kept', code: 200, body: { id: 'op', status: 'Failed', error: { code: 'Boom', message: 'it broke' } }, expected: end('failed', 'Failed', { error: { code: 'Boom', message: 'it broke' } }) },
    { name: 'Canceled is canceled', code: 200, body: { id: 'op', status: 'Canceled' }, expected: end('canceled', 'Canceled') },
    { name: 'camelCase statuses read alike', code: 200, body: { status: 'succeeded' }, expected: end('completed', 'succeeded') },
    { name: 'an unknown status is a failed end, raw kept', code: 200, body: { status: 'Exploded' }, expected: end('failed', 'Exploded') },
    { name: 'no status is missing-field', code: 200, body: { id: 'op' }, expected: failedCheck('missing-field', { message: expect.stringContaining('"status"') }) },
    { name: 'no body is bad-body', code: 200, expected: failedCheck('bad-body') },
    { name: '404 is not-found', code: 404, expected: failedCheck('not-found') },
  ],
  'azure-arm': [
    { name: '202 with no body is running (Location polling), with Retry-After', code: 202, headers: RETRY, expected: running('Accepted', { retryAfterMs: 5_000 }) },
    { name: 'Creating is running', code: 200, body: { properties: { provisioningState: 'Creating' } }, expected: running('Creating') },
    { name: 'a service\'s own state is running', code: 201, body: { properties: { provisioningState: 'Migrating' } }, expected: running('Migrating') },
    { name: 'Azure-AsyncOperation InProgress is running', code: 200, body: { status: 'InProgress' }, expected: running('InProgress') },
    { name: 'Succeeded is completed, properties kept', code: 200, body: { id: 'r', properties: { provisioningState: 'Succeeded', size: 'S' } }, expected: end('completed', 'Succeeded', { output: { provisioningState: 'Succeeded', size: 'S' } }) },
    { name: 'a top-level provisioningState is read too', code: 200, body: { provisioningState: 'Canceled' }, expected: end('canceled', 'Canceled') },
    { name: 'Failed is failed, error kept', code: 200, body: { status: 'Failed', error: { code: 'Quota', message: 'no room' } }, expected: end('failed', 'Failed', { error: { code: 'Quota', message: 'no room' } }) },
    { name: 'a body with no state finished and succeeded (ARM\'s rule)', code: 200, body: { id: 'r', name: 'x' }, expected: end('completed', 'Succeeded') },
    { name: '204 is done', code: 204, expected: end('completed', 'Succeeded') },
    { name: '200 with no body is done', code: 200, expected: end('completed', 'Succeeded') },
    { name: 'a 200 that is not JSON is bad-body', code: 200, body: 'garbage', expected: failedCheck('bad-body') },
    { name: '429 is a failed check, Retry-After kept', code: 429, headers: RETRY, expected: failedCheck('http-status', { retryAfterMs: 5_000 }) },
  ],
  'google-operation': [
    { name: 'done: false is running', code: 200, body: { name: 'operations/7', done: false }, expected: running('RUNNING') },
    { name: 'done absent (proto3 leaves false out) is running', code: 200, body: { name: 'operations/7', metadata: {} }, expected: running('RUNNING') },
    { name: 'Retry-After is not part of AIP-151', code: 200, headers: RETRY, body: { done: false }, expected: running('RUNNING', { retryAfterMs: undefined }) },
    { name: 'done with response is completed, response kept', code: 200, body: { done: true, response: { '@type': 't', uri: 'gs://b/o' } }, expected: end('completed', 'DONE', { output: { '@type': 't', uri: 'gs://b/o' } }) },
    { name: 'done with error is failed, error kept', code: 200, body: { done: true, error: { code: 13, message: 'internal' } }, expected: end('failed', 'INTERNAL', { error: { code: 13, message: 'internal' } }) },
    { name: 'done with error code 1 is canceled', code: 200, body: { done: true, error: { code: 1, message: 'Operation was cancelled.' } }, expected: end('canceled', 'CANCELLED') },
    { name: 'done with neither is completed with no output', code: 200, body: { done: true }, expected: end('completed', 'DONE', { output: undefined }) },
    { name: 'trap: done as the string "true" is not done', code: 200, body: { done: 'true' }, expected: running('RUNNING') },
    { name: 'an unknown error code is named by its number', code: 200, body: { done: true, error: { code: 99 } }, expected: end('failed', 'code 99') },
    { name: 'a list is bad-body', code: 200, body: [1], expected: failedCheck('bad-body') },
  ],
  'openai-batch': [
    ...['validating', 'in_progress', 'finalizing', 'cancelling'].map((status): Row => ({ name: `${status} is running`, code: 200, body: { object: 'batch', status }, expected: running(status) })),
    { name: 'completed keeps both file ids', code: 200, body: { status: 'completed', output_file_id: 'file-out', error_file_id: 'file-err' }, expected: end('completed', 'completed', { output: { output_file_id: 'file-out', error_file_id: 'file-err' } }) },
    { name: 'failed keeps errors', code: 200, body: { status: 'failed', output_file_id: null, errors: { object: 'list', data: [{ code: 'invalid_json' }] } }, expected: end('failed', 'failed', { output: {}, error: { object: 'list', data: [{ code: 'invalid_json' }] } }) },
    { name: 'expired is failed', code: 200, body: { status: 'expired', output_file_id: 'file-part' }, expected: end('failed', 'expired', { output: { output_file_id: 'file-part' } }) },
    { name: 'cancelled is canceled', code: 200, body: { status: 'cancelled', error_file_id: 'file-err' }, expected: end('canceled', 'cancelled', { output: { error_file_id: 'file-err' } }) },
    { name: 'an unknown status is a failed end, raw kept', code: 200, body: { status: 'paused' }, expected: end('failed', 'paused') },
    { name: 'no status is missing-field', code: 200, body: { object: 'batch' }, expected: failedCheck('missing-field') },
  ],
  'kubernetes-job': [
    { name: 'no conditions is running', code: 200, body: { kind: 'Job', status: { active: 1 } }, expected: running('Running') },
    { name: 'no status at all is running', code: 200, body: { kind: 'Job' }, expected: running('Running') },
    { name: 'Complete=True is completed, status kept', code: 200, body: { status: { succeeded: 1, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] } }, expected: end('completed', 'Complete', { output: { succeeded: 1, conditions: expect.any(Array) } }) },
    { name: 'Failed=True is failed, reason and message kept', code: 200, body: { status: { conditions: [{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] } }, expected: end('failed', 'Failed', { error: { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' } }) },
    { name: 'trap: FailureTarget alone is not an end', code: 200, body: { status: { active: 1, conditions: [{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' }] } }, expected: running('FailureTarget') },
    { name: 'trap: SuccessCriteriaMet alone is not an end', code: 200, body: { status: { conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }] } }, expected: running('SuccessCriteriaMet') },
    { name: 'trap: Complete=False is not an end', code: 200, body: { status: { conditions: [{ type: 'Complete', status: 'False' }] } }, expected: running('Running') },
    { name: 'Suspended is running', code: 200, body: { status: { conditions: [{ type: 'Suspended', status: 'True' }] } }, expected: running('Suspended') },
    { name: '403 points at the credentials', code: 403, expected: failedCheck('http-status', { message: expect.stringContaining('credentials') }) },
  ],
  'github-actions-run': [
    ...['queued', 'in_progress', 'waiting', 'requested', 'pending'].map((status): Row => ({ name: `${status} is running`, code: 200, body: { status, conclusion: null }, expected: running(status) })),
    { name: 'completed + success is completed, html_url kept', code: 200, body: { status: 'completed', conclusion: 'success', html_url: 'https://github.com/o/r/actions/runs/1' }, expected: end('completed', 'success', { output: { html_url: 'https://github.com/o/r/actions/runs/1' } }) },
    { name: 'completed + cancelled is canceled', code: 200, body: { status: 'completed', conclusion: 'cancelled', html_url: 'u' }, expected: end('canceled', 'cancelled', { output: { html_url: 'u' } }) },
    ...['failure', 'timed_out', 'startup_failure', 'action_required', 'neutral', 'skipped', 'stale'].map((conclusion): Row => ({
      name: `completed + ${conclusion} is failed`, code: 200, body: { status: 'completed', conclusion, html_url: 'u' }, expected: end('failed', conclusion, { error: { conclusion } }),
    })),
    { name: 'completed with no conclusion is failed', code: 200, body: { status: 'completed', conclusion: null }, expected: end('failed', 'completed') },
    { name: 'trap: a success conclusion before completed is still running', code: 200, body: { status: 'in_progress', conclusion: 'success' }, expected: running('in_progress') },
    { name: 'no status is missing-field', code: 200, body: { id: 1 }, expected: failedCheck('missing-field') },
  ],
};

describe.each(CONVENTIONS)('the %s convention', (convention) => {
  it.each(TABLES[convention].map((row) => [row.name, row] as const))('%s', (_, row) => {
    const reading = CONVENTION_READERS[convention](answer(row));
    // A key expected as undefined must be absent: no Retry-After, no output.
    const absent = Object.keys(row.expected).filter((key) => row.expected[key] === undefined);
    expect(reading).toMatchObject(Object.fromEntries(Object.entries(row.expected).filter(([, value]) => value !== undefined)));
    for (const key of absent) expect(reading).not.toHaveProperty(key);
  });
});

describe('a convention\'s reading', () => {
  it('names the source and the convention that decided', () => {
    const reading = readSourceAnswer({ kind: 'convention', convention: 'github-actions-run' }, answer({ code: 200, body: { status: 'completed', conclusion: 'success' } }), 'runs');
    expect(reading.decidedBy).toEqual({ source: 'runs', convention: 'github-actions-run' });
  });

  it('bounds a large output and error as a result\'s detail is bounded', () => {
    const huge = 'x'.repeat(40_000);
    const reading = CONVENTION_READERS['google-operation'](answer({ code: 200, body: { done: true, error: { code: 2, message: huge } } }));
    expect(reading).toMatchObject({ outcome: 'failed', error: { truncated: true } });
  });

  it('becomes a StatusReading that carries its outcome and keeps the raw status, output and error', () => {
    const reading = readSourceAnswer({ kind: 'convention', convention: 'openai-batch' }, answer({ code: 200, body: { status: 'cancelled', error_file_id: 'f' } }), 'batches');
    const status = toStatusReading(reading);
    expect(status).toMatchObject({ ok: true, status: 'cancelled', outcome: 'canceled', body: { decidedBy: { source: 'batches', convention: 'openai-batch' }, status: 'cancelled', output: { error_file_id: 'f' } } });
    if (reading.ok && reading.state === 'ended') expect(endDetail(reading)).toEqual((status as { body: unknown }).body);
    const runningReading = toStatusReading(readSourceAnswer({ kind: 'convention', convention: 'http-202' }, answer({ code: 202, headers: RETRY })));
    expect(runningReading).toEqual({ ok: true, status: 'Accepted', body: null, running: true, httpStatus: 202, retryAfterMs: 5_000 });
  });

  it('property: never throws, whatever the status code, headers and body; an end always has an outcome and a status', () => {
    const body = fc.oneof(
      fc.constant({ kind: 'empty' } as const),
      fc.constant({ kind: 'invalid', reason: 'is not valid JSON' } as const),
      fc.jsonValue({ maxDepth: 4 }).map((value) => ({ kind: 'json', value }) as const),
      fc.record({ status: fc.string(), done: fc.boolean(), conclusion: fc.string(), error: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] })
        .map((value) => ({ kind: 'json', value }) as const),
    );
    fc.assert(fc.property(
      fc.constantFrom(...CONVENTIONS), fc.integer({ min: 100, max: 599 }), body,
      fc.dictionary(fc.constantFrom('retry-after', 'location'), fc.string()),
      (convention, statusCode, answerBody, headers) => {
        const reading = CONVENTION_READERS[convention]({ statusCode, headers, body: answerBody, where: 'GET https://x/1', url: 'https://x/1' });
        if (reading.ok && reading.state === 'ended') {
          expect(['completed', 'failed', 'canceled']).toContain(reading.outcome);
          expect(reading.status.trim()).not.toBe('');
        }
        if (reading.ok && reading.state === 'running') expect(reading.retryAfterMs ?? 0).toBeGreaterThanOrEqual(0);
      },
    ), { numRuns: 3_000 });
  });

  it('has a table for every convention', () => {
    expect(Object.keys(TABLES).sort()).toEqual([...CONVENTIONS].sort());
  });
});
