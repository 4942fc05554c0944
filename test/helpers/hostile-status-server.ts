import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

/** How one job's status call is answered: anything a real, broken service can do to a response. */
export type HostileAnswer = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * A status service that misbehaves on purpose, one way per job id (`/jobs/{jobId}`). Its drips
 * and endless streams stop when their connection closes: the client gives up, or the server closes.
 */
export interface HostileStatusServer {
  url: string;
  template: string;
  answer(jobId: string, answer: HostileAnswer): void;
  calls(path: string): number;
  close(): Promise<void>;
}

export async function startHostileStatusServer(): Promise<HostileStatusServer> {
  const answers = new Map<string, HostileAnswer>();
  const calls = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    calls.set(path, (calls.get(path) ?? 0) + 1);
    const answer = answers.get(decodeURIComponent(path.replace(/^\/jobs\//, '')));
    if (!answer) {
      response.writeHead(404).end();
      return;
    }
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    template: `${url}/jobs/{jobId}`,
    answer: (jobId, answer) => answers.set(jobId, answer),
    calls: (path) => calls.get(path) ?? 0,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** The answers, by misbehaviour. */
export const hostile = {
  /** A 200 with these exact bytes as the body. */
  bytes: (body: Buffer | string, headers: Record<string, string> = JSON_TYPE): HostileAnswer => (_request, response) => {
    response.writeHead(200, headers).end(body);
  },
  /** A JSON value nested `depth` arrays deep, holding a status. */
  deep: (depth: number): HostileAnswer => hostile.bytes(`{"status":"Completed","x":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  /** Sends `{"status":"` and then a byte every `ms`, never finishing within any sane timeout. */
  drip: (ms: number): HostileAnswer => (_request, response) => {
    response.writeHead(200, JSON_TYPE);
    response.write('{"status":"');
    const timer = setInterval(() => response.write('x'), ms);
    response.on('close', () => clearInterval(timer));
  },
  /** A body that never ends, written as fast as the client reads it. */
  endless: (): HostileAnswer => (_request, response) => {
    response.writeHead(200, JSON_TYPE);
    response.write('{"status":"Completed","pad":"');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (!response.destroyed && response.write(chunk)) { /* until the socket pushes back */ }
    };
    response.on('drain', pump);
    pump();
  },
  /** A gzip body that expands to `expandedBytes` (about a thousandfold), announced as gzip-encoded JSON. */
  gzipBomb: (expandedBytes: number): HostileAnswer => {
    const bomb = gzipSync(Buffer.alloc(expandedBytes, ' '));
    return hostile.bytes(bomb, { ...JSON_TYPE, 'content-encoding': 'gzip' });
  },
  /** A redirect to a path that would say Completed, if it were followed. */
  redirect: (to: string): HostileAnswer => (_request, response) => {
    response.writeHead(302, { location: to }).end();
  },
  /** An informational 102 and 103 before the real 200. */
  informationalThen: (status: string): HostileAnswer => (_request, response) => {
    response.writeProcessing();
    response.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
    response.writeHead(200, JSON_TYPE).end(JSON.stringify({ status }));
  },
  /** Headers and half a body, then a TCP reset. */
  resetMidBody: (): HostileAnswer => (_request, response) => {
    response.writeHead(200, { ...JSON_TYPE, 'content-length': '100' });
    response.write('{"status":"Compl', () => response.socket?.resetAndDestroy());
  },
};
