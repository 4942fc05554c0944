import { describe, expect, it } from 'vitest';
import type { MonitorContext } from '../../src/monitor/context.ts';
import { HookStatusProvider, type GetJobStatus } from '../../src/status/hook-provider.ts';
import { readHookAnswer } from '../../src/status/hook-answer.ts';
import { MAX_STATUS_BODY_BYTES } from '../../src/monitor/input-limits.ts';

const context = { jobId: 'j-1', statusField: 'state.name' } as MonitorContext;
const read = (hook: GetJobStatus, timeoutMs = 1_000) => new HookStatusProvider(hook, timeoutMs).read(context);

describe('HookStatusProvider', () => {
  it('reads a status string, or the status at the monitor field of an object', async () => {
    expect(await read(() => 'Running')).toEqual({ ok: true, status: 'Running', body: { status: 'Running' } });
    expect(await read(async () => ({ state: { name: 'Done' } }))).toMatchObject({ ok: true, status: 'Done' });
  });

  it.each<[string, GetJobStatus, string, RegExp]>([
    ['a hook that never answers', () => new Promise(() => {}), 'timeout', /^getJobStatus did not answer within 30ms$/],
    ['a hook that throws', () => { throw new Error('sdk down'); }, 'hook-error', /^getJobStatus threw: sdk down$/],
    ['a hook that rejects', async () => { throw new Error('sdk down'); }, 'hook-error', /^getJobStatus threw: sdk down$/],
    ['an answer without the field', () => ({ state: {} }), 'missing-field', /no status string at "state.name"/],
    ['an answer with a cycle', () => { const state: Record<string, unknown> = { name: 'Done' }; state.self = state; return { state }; }, 'bad-body', /^getJobStatus returned an answer that is not plain JSON/],
    ['an answer nested 100,000 deep', () => JSON.parse(`{"state":{"name":"Done","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`), 'bad-body', /nested deeper than 64 levels/],
    ['an answer whose getter throws', () => ({ get state() { throw new Error('lazy load failed'); } }), 'bad-body', /lazy load failed/],
  ])('%s is a failed check, never a throw', async (_name, hook, reason, message) => {
    const reading = await read(hook, 30);
    expect(reading).toMatchObject({ ok: false, failure: { reason, message: expect.stringMatching(message) } });
  });
});

describe('readHookAnswer: a status string reads as the body {"status": it} does', () => {
  const limit = MAX_STATUS_BODY_BYTES;
  const cases: [string, string][] = [
    ['a status', 'Processing'],
    ['an empty string', ''],
    ['blanks only', '  \t '],
    ['control characters (6 bytes of JSON each)', '\u0001\u0002done'],
    ['a lone surrogate', 'half \ud800'],
    ['non-ASCII', 'terminé ✓'],
    ['just within the limit as JSON', 'x'.repeat(limit - '{"status":""}'.length)],
    ['one byte over the limit as JSON', 'x'.repeat(limit - '{"status":""}'.length + 1)],
    ['control characters that pass the limit only once escaped', '\u0001'.repeat(Math.ceil(limit / 6))],
  ];
  it.each(cases)('%s', (_, status) => {
    const said = 'getJobStatus returned';
    expect(readHookAnswer(status, 'status', said)).toEqual(readHookAnswer({ status }, 'status', said));
  });

  it('a string answer is read at "status" whatever statusField says', () => {
    expect(readHookAnswer('Completed', 'data.state', 'getJobStatus returned')).toMatchObject({ ok: true, status: 'Completed', body: { status: 'Completed' } });
    expect(readHookAnswer('', 'data.state', 'getJobStatus returned')).toEqual({
      ok: false, failure: { reason: 'missing-field', message: 'getJobStatus returned no status string at "data.state"' },
    });
  });
});
