import { describe, expect, it } from 'vitest';
import type { EndedMonitorState, RunningMonitorState } from '../../src/client/monitor-state.ts';
import { checkHeaderLine, checkLine } from '../../src/cli/check-rows.ts';
import { CLEAR_LINE, fitToWidth } from '../../src/cli/terminal.ts';
import { renderTop } from '../../src/cli/top-render.ts';
import {
  SPINNER_FRAMES, WATCH_EXIT_CODE_ROWS, WATCH_EXIT_CODES, answeredLine, endLines, endedByCheck, exitCodeFor, formatSpan, nextPollWhen, progressLine, renderSpinner, startLine,
} from '../../src/cli/watch-render.ts';
import type { StartAnswerRecord } from '../../src/monitor/operation.ts';
import { OUTCOMES } from '../../src/monitor/statuses.ts';
import { readPage } from '../helpers/docs.ts';

// Local wall-clock times, so that the expected HH:MM:SS holds in any time zone.
const NOW = new Date(2026, 10, 30, 12, 3, 4).getTime();

function running(overrides: Partial<RunningMonitorState> = {}): RunningMonitorState {
  return {
    namespace: 'default', monitorId: 'm1', jobId: 'j1', state: 'scheduled', polls: 3, lastStatus: 'Processing', lastError: null,
    nextPollAt: new Date(NOW + 12_000).toISOString(), startedAt: new Date(NOW - 60_000).toISOString(), expireAt: new Date(NOW + 3_600_000).toISOString(),
    intervalMs: 15_000, statusSource: 'http://x/jobs/{jobId}', statusField: 'status', metadata: null, ...overrides,
  };
}

function ended(overrides: Partial<EndedMonitorState> = {}): EndedMonitorState {
  return {
    namespace: 'default', monitorId: 'm1', jobId: 'j1', state: 'ended', outcome: 'completed', jobStatus: 'Completed', polls: 4,
    startedAt: '2026-11-30T12:00:00.000Z', finishedAt: '2026-11-30T12:01:05.000Z', detail: { status: 'Completed' }, metadata: null, persisted: true, ...overrides,
  };
}

describe('the spinner line of jobwatch watch (frame to text)', () => {
  it.each([
    { name: 'scheduled: the next poll and how long until it', tick: 0, monitor: running(), text: '⠋ scheduled · 3 polls · Processing · next poll at 12:03:16 (in 12 s)' },
    { name: 'the frame turns with the tick and wraps', tick: SPINNER_FRAMES.length + 1, monitor: running(), text: '⠙ scheduled · 3 polls · Processing · next poll at 12:03:16 (in 12 s)' },
    { name: 'a part of a second counts as a whole one', tick: 0, monitor: running({ nextPollAt: new Date(NOW + 200).toISOString() }), text: '⠋ scheduled · 3 polls · Processing · next poll at 12:03:04 (in 1 s)' },
    { name: 'due, not yet taken', tick: 0, monitor: running({ nextPollAt: new Date(NOW - 5_000).toISOString() }), text: '⠋ scheduled · 3 polls · Processing · next poll at 12:02:59 (due)' },
    { name: 'overdue past two intervals', tick: 0, monitor: running({ nextPollAt: new Date(NOW - 40_000).toISOString() }), text: '⠋ scheduled · 3 polls · Processing · next poll at 12:02:24 (overdue 40 s)' },
    { name: 'polling: no next poll', tick: 2, monitor: running({ state: 'polling' }), text: '⠹ polling · 3 polls · Processing' },
    { name: 'before the first status, with a failed check', tick: 0, monitor: running({ polls: 1, lastStatus: null, lastError: 'connect ECONNREFUSED' }), text: '⠋ scheduled · 1 poll · last check failed: connect ECONNREFUSED · next poll at 12:03:16 (in 12 s)' },
  ])('$name', ({ tick, monitor, text }) => {
    expect(renderSpinner({ tick, now: NOW, monitor })).toBe(text);
  });

  it('is cut to the terminal width, never wrapped; an unknown width is taken as 80', () => {
    expect(fitToWidth('x'.repeat(100), 40)).toBe(`${'x'.repeat(38)}…`);
    expect([...fitToWidth('⠋'.repeat(100), 0)]).toHaveLength(79);
    expect(fitToWidth('short', 40)).toBe('short');
    expect(CLEAR_LINE).toBe('\r\x1b[2K');
  });

  it('spans read as seconds, minutes or hours', () => {
    expect([0, 999, 59_000, 61_000, 3_599_000, 3_660_000].map(formatSpan)).toEqual(['0 s', '1 s', '59 s', '1 m 01 s', '59 m 59 s', '1 h 01 m']);
    expect(nextPollWhen(NOW + 90_000, NOW, 60_000)).toBe('12:04:34 (in 1 m 30 s)');
  });
});

describe('the lines of jobwatch watch', () => {
  it('a check sits under the header in the columns of jobwatch history', () => {
    const header = checkHeaderLine();
    const line = checkLine({ seq: 12, checkedAt: '2026-11-30T12:03:04.000Z', status: 'Processing', result: 'running', reason: null, error: null, httpStatus: 200, latencyMs: 31, lateMs: 4, via: 'poll', source: 'runs' });
    expect(header).toMatch(/^SEQ +CHECKED AT +RESULT +STATUS \/ REASON +HTTP +LATENCY +LATE +VIA +SOURCE$/);
    expect(line).toMatch(/^12 +2026-11-30T12:03:04.000Z +running +Processing +200 +31ms +4ms +poll +runs$/);
    for (const title of ['CHECKED AT', 'RESULT', 'STATUS / REASON', 'VIA', 'SOURCE']) {
      expect(header.indexOf(title)).toBe(line.indexOf(line.slice(header.indexOf(title)).trimStart()));
    }
  });

  it('a change of progress (no history)', () => {
    expect(progressLine(running(), NOW)).toBe('12:03:04  3 polls  Processing');
    expect(progressLine(running({ polls: 1, lastStatus: null, lastError: 'timeout' }), NOW)).toBe('12:03:04  1 poll  -  last check failed: timeout');
  });
});

describe('an operation in jobwatch watch (and jobwatch call --wait)', () => {
  const starting = (overrides: Partial<RunningMonitorState> = {}) =>
    running({ monitorId: 'op-1', jobId: null, state: 'starting', polls: 0, lastStatus: null, statusSource: 'source render', operation: { fingerprint: 'f' }, ...overrides });
  const retried = { polls: 2, lastError: 'HTTP 503 from 127.0.0.1:9' };
  const watching = { status: 202, watching: 'https://render.internal/ops/7?sig=secret' };

  it.each([
    { name: 'starting: the start request being sent, no job named', line: startLine(starting()), text: 'watching op-1: starting: sending the start request to source render' },
    {
      name: 'starting, retried: the last try\'s error', line: startLine(starting(retried)),
      text: 'watching op-1: starting: sending the start request to source render · last try failed: HTTP 503 from 127.0.0.1:9 (retried with the same idempotency key)',
    },
    { name: 'the spinner while starting', line: renderSpinner({ tick: 0, now: NOW, monitor: starting() }), text: '⠋ starting: sending the start request to source render' },
    {
      name: 'the spinner while the start is retried', line: renderSpinner({ tick: 1, now: NOW, monitor: starting(retried) }),
      text: '⠙ starting: sending the start request to source render · last try failed: HTTP 503 from 127.0.0.1:9 (retried with the same idempotency key)',
    },
    {
      name: 'a change of progress while starting (no history)', line: progressLine(starting(retried), NOW),
      text: '12:03:04  starting: sending the start request to source render  last try failed: HTTP 503 from 127.0.0.1:9 (retried with the same idempotency key)',
    },
    { name: 'answered with a URL to watch: shown without its query', line: answeredLine(watching, NOW), text: '12:03:04  start answered 202, watching https://render.internal/ops/7' },
    { name: 'answered with a job id', line: answeredLine({ status: 201, jobId: 'job-7' }, NOW), text: '12:03:04  start answered 201, job id job-7' },
    { name: 'an answered operation without a job id, polling', line: startLine(starting({ state: 'scheduled', polls: 1, operation: { fingerprint: 'f', answer: watching } })), text: 'watching op-1: scheduled, 1 poll so far' },
  ])('$name', ({ line, text }) => {
    expect(line).toBe(text);
    expect(line).not.toContain('null');
  });

  it('ended: the start refused, with its status and reason; no job id is "-", never null', () => {
    const reason = 'the start request was refused: 127.0.0.1:9 answered 400';
    const lines = endLines(ended({
      monitorId: 'op-1', jobId: null, outcome: 'failed', jobStatus: null, polls: 1,
      detail: { start: { status: 400, body: { error: 'scene is missing' }, reason } }, operation: { fingerprint: 'f', answer: { status: 400 } },
    }), 3);
    expect(lines.slice(0, 3)).toEqual(['op-1 ended failed (exit 3)', '  job        -', `  start      failed: 400 ${reason}`]);
    expect(lines.join('\n')).not.toMatch(/\bnull\b/);
  });

  it.each<{ name: string; answer: StartAnswerRecord; detail: unknown; line: string }>([
    { name: 'watched at a URL', answer: watching, detail: { status: 'Succeeded' }, line: '  start      answered 202, watching https://render.internal/ops/7' },
    { name: 'a job id read', answer: { status: 201, jobId: 'job-7' }, detail: { status: 'Completed' }, line: '  start      answered 201, job id job-7' },
    { name: 'a synchronous answer', answer: { status: 200 }, detail: { via: 'start', output: { ok: true } }, line: '  start      answered 200, the job finished at once' },
  ])('ended: what the start answered ($name)', ({ answer, detail, line }) => {
    const lines = endLines(ended({ jobId: answer.jobId ?? null, detail, operation: { fingerprint: 'f', answer } }), 0);
    expect(lines[2]).toBe(line);
  });

  it('a monitor that is no operation has no start line', () => {
    expect(endLines(ended(), 0).some((line) => line.includes('start '))).toBe(false);
  });
});

describe('exit codes of jobwatch watch', () => {
  it('0 for completed, a code of its own for every other outcome, timeout and not found, none shared with 1 and 2', () => {
    expect(exitCodeFor('completed')).toBe(0);
    const codes = [...OUTCOMES.map(exitCodeFor), WATCH_EXIT_CODES.timeout, WATCH_EXIT_CODES.notFound, WATCH_EXIT_CODES.interrupted, 1, 2];
    expect(new Set(codes).size).toBe(codes.length);
    expect(WATCH_EXIT_CODE_ROWS.map(([code]) => code).sort((a, b) => a - b)).toEqual([...codes].sort((a, b) => a - b));
  });

  it('the CLI page lists the same codes as --help', () => {
    const page = readPage('docs/cli.md');
    expect(page).toContain('| exit code |');
    const table = page.slice(page.indexOf('| exit code |'));
    const listed = [...table.matchAll(/^\| `(\d+)` \|/gm)].map(([, code]) => Number(code)).slice(0, WATCH_EXIT_CODE_ROWS.length);
    expect(listed).toEqual(WATCH_EXIT_CODE_ROWS.map(([code]) => code));
  });

  it.each([
    { outcome: 'completed', detail: { status: 'Completed' }, byCheck: true },
    { outcome: 'failed', detail: { status: 'Failed' }, byCheck: true },
    { outcome: 'canceled', detail: { canceledAt: '2026-11-30T12:00:00.000Z' }, byCheck: false },
    { outcome: 'canceled', detail: { status: 'Canceled', canceledAt: 'by the job' }, byCheck: true },
    { outcome: 'expired', detail: { lastStatus: 'Processing', expiredAt: 'x' }, byCheck: false },
    { outcome: 'errored', detail: { error: 'x', reason: 'timeout', consecutiveFailures: 10 }, byCheck: true },
    { outcome: 'errored', detail: { error: 'x', consecutiveFailures: 2, expiredAt: 'x' }, byCheck: false },
  ] as const)('$outcome with $detail ended by a check: $byCheck', ({ outcome, detail, byCheck }) => {
    expect(endedByCheck(ended({ outcome, detail }))).toBe(byCheck);
  });
});

describe('the screen of jobwatch top', () => {
  it('counts by outcome, then the running monitors, overdue ones marked', () => {
    const text = renderTop({
      now: NOW,
      everyMs: 1_000,
      ends: { completed: 12, failed: 1, canceled: 0, expired: 2, errored: 0 },
      running: [running(), running({ monitorId: 'late', jobId: 'j2', nextPollAt: new Date(NOW - 40_000).toISOString() }), running({ monitorId: 'busy', state: 'polling', nextPollAt: new Date(NOW - 40_000).toISOString() })],
      more: true,
    });
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'jobwatch top · 12:03:04 · every 1 s · Ctrl-C quits',
      'ended in the last hour: completed 12  failed 1  canceled 0  expired 2  errored 0',
      'running: 3 shown, more run (jobwatch list --state running)',
    ]);
    expect(lines[4]).toMatch(/^MONITOR +JOB +STATE +POLLS +LAST STATUS +NEXT POLL +OVERDUE$/);
    expect(lines[5]).toMatch(/^m1 +j1 +scheduled +3 +Processing +12:03:16 \(in 12 s\)$/);
    expect(lines[6]).toMatch(/^late +j2 +scheduled +3 +Processing +12:02:24 \(overdue 40 s\) +!$/);
    expect(lines[7]).toMatch(/^busy +j1 +polling +3 +Processing +now$/);
  });

  it('once, with none running', () => {
    const text = renderTop({ now: NOW, ends: { completed: 0, failed: 0, canceled: 0, expired: 0, errored: 0 }, running: [], more: false });
    expect(text.split('\n')).toEqual(['jobwatch top · 12:03:04', 'ended in the last hour: completed 0  failed 0  canceled 0  expired 0  errored 0', 'running: 0', '', 'no running monitors']);
  });
});
