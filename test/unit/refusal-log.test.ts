import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MAX_LOGGED_PATH, MAX_REFUSAL_LINES_PER_SECOND, RefusalLog } from '../../src/http/refusal-log.ts';

/** A RefusalLog on a clock the test moves, writing to lines the test reads. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).trim().split('\n').map((l) => JSON.parse(l))); done(); } }));
  let now = 1_000_000;
  const log = new RefusalLog(logger, () => now);
  return { lines, log, advance: (ms: number) => (now += ms) };
}

const refusal = (path = '/api/monitors') => ({ method: 'GET', path, reason: 'wrong credentials' });

describe('RefusalLog', () => {
  it('one line a second per client address; the refusals in between are counted into the next line', () => {
    const { lines, log, advance } = capture();
    for (let i = 0; i < 5_000; i++) {
      log.refused('203.0.113.7', refusal());
      advance(0.2); // 5,000 in one second
    }
    advance(1);
    log.refused('203.0.113.7', refusal());
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ msg: 'request refused: 401', client: '203.0.113.7', method: 'GET', path: '/api/monitors', reason: 'wrong credentials' });
    expect(lines[0]!.suppressed).toBeUndefined();
    expect(lines[1]).toMatchObject({ suppressed: 4_999 });
  });

  it('another client address has its own second', () => {
    const { lines, log } = capture();
    log.refused('203.0.113.7', refusal());
    log.refused('203.0.113.7', refusal());
    log.refused('2001:db8::1', refusal());
    expect(lines.map((line) => line.client)).toEqual(['203.0.113.7', '2001:db8::1']);
  });

  it('rotating addresses cannot flood it either: at most MAX_REFUSAL_LINES_PER_SECOND lines a second in all', () => {
    const { lines, log, advance } = capture();
    for (let i = 0; i < 1_000; i++) log.refused(`2001:db8::${i.toString(16)}`, refusal());
    expect(lines).toHaveLength(MAX_REFUSAL_LINES_PER_SECOND);
    advance(1_000);
    log.refused('2001:db8::ffff', refusal());
    expect(lines).toHaveLength(MAX_REFUSAL_LINES_PER_SECOND + 1);
  });

  it('cuts a long path to 200 characters and says how long it was', () => {
    const { lines, log } = capture();
    const path = `/api/${'a'.repeat(15 * 1024)}`;
    log.refused('203.0.113.7', refusal(path));
    expect(lines[0]!.path).toBe(path.slice(0, MAX_LOGGED_PATH));
    expect((lines[0]!.path as string).length).toBe(200);
    expect(lines[0]!.pathLength).toBe(path.length);
    expect(JSON.stringify(lines[0]).length).toBeLessThan(600);
  });
});
