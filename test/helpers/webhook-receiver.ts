import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver got, with what it answered. */
export interface Delivery {
  monitorId: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/**
 * A webhook receiver for tests: `decide` picks each delivery's answer from the monitor's count of
 * deliveries so far (from 0); it may also act before answering (kill a worker) and answers by
 * returning a status, or `undefined` to leave the request hanging until the connection drops.
 */
export interface WebhookReceiver {
  url: string;
  deliveries: Delivery[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  decide: (monitorId: string, countBefore: number, response: ServerResponse) => number | undefined | Promise<number | undefined>,
): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const counts = new Map<string, number>();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', async () => {
      const monitorId = (JSON.parse(body) as { monitorId: string }).monitorId;
      const before = counts.get(monitorId) ?? 0;
      counts.set(monitorId, before + 1);
      const answer = await decide(monitorId, before, response);
      if (answer === undefined) return;
      deliveries.push({ monitorId, headers: request.headers, body, answered: answer });
      response.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/jobwatch`,
    deliveries,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
