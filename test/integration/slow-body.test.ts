import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, serveApp } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';

/**
 * A client that sends its headers and part of its body, then stalls, is answered 408 naming the
 * body once the API's time limit passes: the backends were fine, the client was slow.
 */
const TOKEN = 'tok-slow-body-2b4d6f8a0c';
const API_TIMEOUT_MS = 300;

let iso: Isolated;
let served: { url: string; close(): Promise<void> };

beforeAll(async () => {
  iso = await createIsolation();
  served = await serveApp(iso, { database: iso.database, env: { JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_CALLBACK_SECRET: 'callback-secret-0123456789' }, apiTimeoutMs: API_TIMEOUT_MS });
});

afterAll(async () => {
  await served?.close();
  await iso?.cleanup();
});

/** Sends `head` and `partial` on a raw socket, never the rest; resolves with everything answered until the server closes. */
function stallingRequest(head: string, partial: string): Promise<string> {
  const { hostname, port } = new URL(served.url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname, () => socket.write(head + partial));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

const headOf = (path: string, framing: string) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n${framing}\r\n`;

describe('a body that stalls', () => {
  it.each([
    ['with Content-Length', '/api/monitors', 'Content-Length: 200\r\n', '{"jobId": "slow-1", "statusUrl": '],
    ['chunked', '/api/monitors', 'Transfer-Encoding: chunked\r\n', '10\r\n{"jobId": "slow-\r\n'],
    ['on the push route', '/api/monitors/slow-2/status', 'Content-Length: 100\r\n', '{"status": "Comp'],
  ])('%s (%s): 408 naming the body, and the connection closed', async (_, path, framing, partial) => {
    const answer = await stallingRequest(headOf(path, framing), partial);
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 408 /);
    expect(head.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(body)).toEqual({
      error: 'body: was not received within 300ms; send the whole body at once', field: 'body', reason: 'was not received within 300ms; send the whole body at once',
    });
    // Nothing was started from half a body.
    expect((await request(`${served.url}/api/monitors/slow-1`, { token: TOKEN })).status).toBe(404);
  });

  it('a body sent whole is answered as usual', async () => {
    const reply = await request(`${served.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId: 'fast-1', statusUrl: 'http://127.0.0.1:9/jobs/{jobId}', interval: '1h' } });
    expect(reply.status).toBe(201);
  });
});
