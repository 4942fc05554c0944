import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a job answers inside a batch: its status, a body of its own, or nothing (left out of the answer). */
export type BatchMemberAnswer = { status: string } | { body: unknown } | { omit: true };

/** A whole request's answer, instead of the members' (a failed batch). */
export interface BatchFailure {
  code: number;
  headers?: Record<string, string>;
}

/** One request as the server saw it: the ids asked for, and whether it was failed on purpose. */
export interface BatchRequest {
  ids: string[];
  failed: boolean;
}

/**
 * A local batch status service for tests: `POST /statuses` with `{"ids": [...]}` answers a JSON
 * object with each scripted job's status body under its id (one scripted answer per time the job
 * is asked for, the last repeated; an unscripted job is left out). It records each request's ids,
 * and, per job, the most requests that carried it at once.
 */
export interface BatchStatusServer {
  /** The batch status URL monitors use. */
  url: string;
  script(jobId: string, answers: BatchMemberAnswer[]): void;
  /** The next `count` requests get this answer instead of their members' statuses. */
  failNext(count: number, failure: BatchFailure): void;
  requests(): BatchRequest[];
  /** Times each job was asked for in an answered (not failed) request. */
  answered(jobId: string): number;
  /** Called as each request arrives, with the ids asked for in every request so far. */
  onRequest(listener: (totalIds: number) => void): void;
  /** Jobs that were ever in two requests in flight at once. */
  jobsWithOverlap(): string[];
  close(): Promise<void>;
}

export async function startBatchStatusServer(): Promise<BatchStatusServer> {
  const scripts = new Map<string, BatchMemberAnswer[]>();
  const answered = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const overlapping = new Set<string>();
  const requests: BatchRequest[] = [];
  const listeners: Array<(totalIds: number) => void> = [];
  const failures: BatchFailure[] = [];
  let totalIds = 0;

  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      const { ids } = JSON.parse(text) as { ids: string[] };
      for (const id of ids) {
        const now = (inFlight.get(id) ?? 0) + 1;
        inFlight.set(id, now);
        if (now > 1) overlapping.add(id);
      }
      const failure = failures.shift();
      requests.push({ ids, failed: failure !== undefined });
      totalIds += ids.length;
      for (const listener of listeners) listener(totalIds);
      let body: string;
      if (failure) {
        body = '{"error":"unavailable"}';
      } else {
        const answer: Record<string, unknown> = {};
        for (const id of ids) {
          const count = answered.get(id) ?? 0;
          answered.set(id, count + 1);
          const script = scripts.get(id);
          const member = script?.[Math.min(count, script.length - 1)];
          if (!member || 'omit' in member) continue;
          answer[id] = 'status' in member ? { id, status: member.status } : member.body;
        }
        body = JSON.stringify(answer);
      }
      // Answered before the ids leave the in-flight count: a poll that overlapped is caught here.
      response.writeHead(failure?.code ?? 200, { 'content-type': 'application/json', ...failure?.headers }).end(body, () => {
        for (const id of ids) inFlight.set(id, inFlight.get(id)! - 1);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/statuses`,
    script: (jobId, answers) => scripts.set(jobId, answers),
    failNext: (count, failure) => failures.push(...Array.from({ length: count }, () => failure)),
    requests: () => requests,
    answered: (jobId) => answered.get(jobId) ?? 0,
    onRequest: (listener) => listeners.push(listener),
    jobsWithOverlap: () => [...overlapping],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
