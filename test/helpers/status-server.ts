import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer of the test status server. */
export interface ScriptedAnswer {
  /** Shorthand for a 200 with `{"status": ...}`. */
  status?: string;
  code?: number;
  /** A body to send as is (a string) or as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /**
   * Give this answer again, without moving on to the next, until this returns true (asked at each
   * call): a scripted job that must not end before something has happened.
   */
  repeatUntil?: () => boolean;
}

/**
 * A local status service for tests. Each job answers from its script, one answer per call (or the
 * same one again while its `repeatUntil` says so), the last one repeated; it counts calls and, per
 * job, the most calls it ever had in flight at once.
 */
export interface StatusServer {
  url: string;
  /** `${url}/jobs/{jobId}`, the status URL template monitors use. */
  template: string;
  script(jobId: string, answers: ScriptedAnswer[]): void;
  calls(jobId: string): number;
  /** Calls to every job so far. */
  totalCalls(): number;
  /** When each call arrived (epoch ms, this process's clock), in order: every job's, or one job's. */
  callTimes(jobId?: string): readonly number[];
  /** Called at each call as it arrives (before it is answered), with the calls to every job so far. */
  onCall(listener: (totalCalls: number) => void): void;
  maxOverlap(jobId: string): number;
  jobsWithOverlap(): string[];
  /** The `traceparent` header of each call to a job, in order (undefined where none was sent). */
  traceparents(jobId: string): readonly (string | undefined)[];
  close(): Promise<void>;
}

export async function startStatusServer(): Promise<StatusServer> {
  const scripts = new Map<string, ScriptedAnswer[]>();
  const calls = new Map<string, number>();
  /** Each job's place in its script: its calls so far, less the answers given again. */
  const positions = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const overlap = new Map<string, number>();
  const listeners: Array<(totalCalls: number) => void> = [];
  const callTimes: number[] = [];
  const jobCallTimes = new Map<string, number[]>();
  let totalCalls = 0;
  const traceparents = new Map<string, (string | undefined)[]>();

  const server: Server = createServer(async (request, response) => {
    const jobId = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname.replace(/^\/jobs\//, ''));
    const count = calls.get(jobId) ?? 0;
    calls.set(jobId, count + 1);
    const now = Date.now();
    callTimes.push(now);
    const jobTimes = jobCallTimes.get(jobId) ?? [];
    jobCallTimes.set(jobId, jobTimes);
    jobTimes.push(now);
    totalCalls++;
    traceparents.set(jobId, [...(traceparents.get(jobId) ?? []), request.headers.traceparent as string | undefined]);
    const current = (inFlight.get(jobId) ?? 0) + 1;
    inFlight.set(jobId, current);
    overlap.set(jobId, Math.max(overlap.get(jobId) ?? 0, current));
    for (const listener of listeners) listener(totalCalls);
    try {
      const script = scripts.get(jobId);
      const position = positions.get(jobId) ?? 0;
      const answer = script?.[Math.min(position, script.length - 1)];
      if (answer?.repeatUntil?.() ?? true) positions.set(jobId, position + 1);
      if (!answer) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"unknown job"}');
        return;
      }
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      const body = answer.status !== undefined ? JSON.stringify({ id: jobId, status: answer.status })
        : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
      if (!response.destroyed) {
        response.writeHead(answer.code ?? 200, { 'content-type': 'application/json', ...answer.headers }).end(body);
      }
    } finally {
      inFlight.set(jobId, (inFlight.get(jobId) ?? 1) - 1);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    template: `${url}/jobs/{jobId}`,
    script: (jobId, answers) => scripts.set(jobId, answers),
    calls: (jobId) => calls.get(jobId) ?? 0,
    totalCalls: () => totalCalls,
    callTimes: (jobId) => (jobId === undefined ? callTimes : jobCallTimes.get(jobId) ?? []),
    onCall: (listener) => listeners.push(listener),
    maxOverlap: (jobId) => overlap.get(jobId) ?? 0,
    jobsWithOverlap: () => [...overlap.entries()].filter(([, n]) => n > 1).map(([jobId]) => jobId),
    traceparents: (jobId) => traceparents.get(jobId) ?? [],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
