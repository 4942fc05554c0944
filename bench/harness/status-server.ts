/**
 * A local job-status service for the HTTP benchmarks, run as its own process so that it does not
 * share an event loop with the worker it answers. GET /jobs/:k/:id answers `{"status":"Processing"}`
 * for a job's first k-1 calls and `{"status":"Completed"}` from the k-th on; POST /batch/:k/:round with
 * `{"ids": [...]}` answers each id (counted as `:round/id`) the same way, in one object keyed by id. GET /requests answers
 * `{"requests": N}`, the status requests it has answered so far.
 * GET /secure/:k/:id is a job of a service that wants a bearer token (BENCH_BEARER_TOKEN): 401
 * without it; with it, the same count in a body of the service's own shape,
 * `{"state":{"phase":"RUNNING"}}` then `{"state":{"phase":"SUCCEEDED"}}` (what a source's mapping reads).
 * With BENCH_RECORD_TIMES=1 it keeps when each call arrived (epoch ms); GET /times answers them
 * as a JSON array and starts over. It stamps a call when its event loop gets to it, so the calls that
 * came while the process was stalled (descheduled on a busy machine) are stamped together at the
 * stall's end. With BENCH_WATCH_STALLS=1 too, GET /stalls answers the spans its stalls blurred so far
 * (see test/helpers/loop-stalls.ts), as a JSON array of [from, to], so that windows of arrivals can be
 * judged without them.
 * Prints `{"port":N}` on its first stdout line when ready; stops on SIGTERM.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { watchLoopStalls } from '../../test/helpers/loop-stalls.ts';

const calls = new Map<string, number>();
const PROCESSING = JSON.stringify({ status: 'Processing' });
const COMPLETED = JSON.stringify({ status: 'Completed' });
const SECURE_BODIES = { [PROCESSING]: JSON.stringify({ state: { phase: 'RUNNING' } }), [COMPLETED]: JSON.stringify({ state: { phase: 'SUCCEEDED' } }) };
const BEARER = `Bearer ${process.env.BENCH_BEARER_TOKEN ?? ''}`;

let requests = 0;
let ids = 0;
const record = process.env.BENCH_RECORD_TIMES === '1';
let times: number[] = [];
/** Only where asked (BENCH_WATCH_STALLS=1): a timer 100 times a second is not free beside a throughput round. */
const stalls = process.env.BENCH_WATCH_STALLS === '1' ? watchLoopStalls() : undefined;

/** The status body of a job's next call. */
function nextStatus(jobId: string, pollsToComplete: number): string {
  const count = (calls.get(jobId) ?? 0) + 1;
  calls.set(jobId, count);
  return count >= pollsToComplete ? COMPLETED : PROCESSING;
}

function answer(response: ServerResponse, body: string, code = 200): void {
  response.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

const server = createServer((request, response) => {
  const [, kind, pollsToComplete, jobId = ''] = (request.url ?? '/').split('/');
  if (kind === 'requests') return answer(response, JSON.stringify({ requests, ids }));
  if (kind === 'stalls') return answer(response, JSON.stringify(stalls?.spans() ?? []));
  if (kind === 'times') {
    const body = JSON.stringify(times);
    times = [];
    return answer(response, body);
  }
  requests++;
  if (record) times.push(Date.now());
  if (kind === 'secure') {
    // Checked before the job's count moves, so that a refused request is not a poll.
    if (!process.env.BENCH_BEARER_TOKEN || request.headers.authorization !== BEARER) return answer(response, '{"error":"unauthorized"}', 401);
    ids++;
    return answer(response, SECURE_BODIES[nextStatus(jobId, Number(pollsToComplete))]!);
  }
  if (request.method !== 'POST') {
    ids++;
    return answer(response, nextStatus(jobId, Number(pollsToComplete)));
  }
  let text = '';
  request.on('data', (chunk) => (text += chunk));
  request.on('end', () => {
    const batch = (JSON.parse(text) as { ids: string[] }).ids;
    ids += batch.length;
    answer(response, `{${batch.map((id) => `${JSON.stringify(id)}:${nextStatus(`${jobId}/${id}`, Number(pollsToComplete))}`).join(',')}}`);
  });
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
