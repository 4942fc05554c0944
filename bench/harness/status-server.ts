/**
 * A local job-status service for the HTTP benchmark, run as its own process so that it does not
 * share an event loop with the worker it answers. GET /jobs/:k/:id answers `{"status":"Processing"}`
 * for a job's first k-1 calls and `{"status":"Completed"}` from the k-th on.
 * With BENCH_RECORD_TIMES=1 it keeps when each call arrived (epoch ms); GET /times answers them
 * as a JSON array and starts over.
 * Prints `{"port":N}` on its first stdout line when ready; stops on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const calls = new Map<string, number>();
const PROCESSING = JSON.stringify({ status: 'Processing' });
const COMPLETED = JSON.stringify({ status: 'Completed' });

const record = process.env.BENCH_RECORD_TIMES === '1';
let times: number[] = [];

const server = createServer((request, response) => {
  if (request.url === '/times') {
    const body = JSON.stringify(times);
    times = [];
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return;
  }
  if (record) times.push(Date.now());
  const [, , pollsToComplete, jobId = ''] = (request.url ?? '/').split('/');
  const count = (calls.get(jobId) ?? 0) + 1;
  calls.set(jobId, count);
  const body = count >= Number(pollsToComplete) ? COMPLETED : PROCESSING;
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
});
// Keep-alive as a real status API would, and longer than a bench round, so that both clients
// measured reuse their connections.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
