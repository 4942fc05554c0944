import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, serveApp } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';

/**
 * Wrong credentials cost the sender a request each, and must not cost the server a log line each:
 * a flood of 401s from one address writes a handful of lines, and a long path is cut.
 */
const TOKEN = 'tok-refusals-5e7a9c1b3d';

let iso: Isolated;
let served: { url: string; close(): Promise<void> };
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  iso = await createIsolation();
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  served = await serveApp(iso, { database: iso.database, env: { JOBWATCH_API_TOKEN: TOKEN }, logger: pino({ level: 'info' }, destination) });
});

afterAll(async () => {
  await served?.close();
  await iso?.cleanup();
});

const refusals = () => lines.filter((line) => line.msg === 'request refused: 401');

describe('failed auth in the log', () => {
  it('5,000 bad requests from one address write a handful of lines, which count the rest', async () => {
    const before = refusals().length;
    const started = performance.now();
    const paths = ['/api/monitors', '/metrics', '/board', '/ui'];
    let sent = 0;
    // 20 clients on keep-alive connections, each sending its share in turn.
    await Promise.all(Array.from({ length: 20 }, async () => {
      while (sent < 5_000) {
        const path = paths[sent++ % paths.length]!;
        const reply = await request(`${served.url}${path}`, { token: 'wrong-token-guess' });
        expect(reply.status).toBe(401);
      }
    }));
    const seconds = (performance.now() - started) / 1_000;
    const written = refusals().slice(before);
    // One line a second per address: the run's whole seconds, plus the one it began in.
    expect(written.length).toBeGreaterThanOrEqual(1);
    expect(written.length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(written.every((line) => line.client === '127.0.0.1')).toBe(true);
    const counted = written.reduce((sum, line) => sum + 1 + ((line.suppressed as number | undefined) ?? 0), 0);
    expect(counted).toBeLessThanOrEqual(5_000);
    expect(counted).toBeGreaterThan(written.length === 1 ? 0 : 1);
  });

  it('a 15 KB path is logged cut to 200 characters, with its length', async () => {
    // A second later this address may log again.
    const path = `/api/monitors/${'x'.repeat(15 * 1024)}`;
    const deadline = Date.now() + 5_000;
    let line: Record<string, unknown> | undefined;
    while (!line && Date.now() < deadline) {
      expect((await request(`${served.url}${path}`, { token: 'wrong-token-guess' })).status).toBe(401);
      line = refusals().find((entry) => entry.pathLength === path.length);
      if (!line) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(line).toBeDefined();
    expect(line!.path).toBe(path.slice(0, 200));
    expect(JSON.stringify(line).length).toBeLessThan(600);
    expect(lines.every((entry) => JSON.stringify(entry).length < 2_000)).toBe(true);
  });
});
