import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { waitFor } from '../helpers/wait.ts';
import { spawnWorker, stopChild, testClient } from '../helpers/workers.ts';

/**
 * The two sources that are not one plain request: a Kubernetes-style API server that only answers
 * a client certificate signed by its CA (mutual TLS, its own CA trusted instead of the system's),
 * and a hook source whose module makes its own requests. Both through a `jobwatch worker` process.
 */

const ENV = { JOBWATCH_RETRY_BASE: '20ms', JOBWATCH_RETRY_MAX: '100ms', JOBWATCH_MAX_STATUS_FAILURES: '2', JOBWATCH_MIN_INTERVAL: '100ms' };

let iso: Isolated;
let dir: string;
let apiServer: Server;
let apiUrl: string;
/** An API server that takes a service account's bearer token, its certificate signed by the same private CA. */
let tokenServer: Server;
let tokenUrl: string;
const SA_TOKEN = 'sa-token-2b8d0e';
let client: JobwatchClient;
let worker: ReturnType<typeof spawnWorker>;
const clientsSeen: string[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=jobwatch-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, cn, ext] of [['server', '127.0.0.1', ['-extfile', 'server.ext']], ['client', 'jobwatch-worker', []]] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...ext);
  }
}

const row = (monitorId: string) => waitFor(() => findResult(iso.database.db, monitorId), { what: `result of ${monitorId}`, timeoutMs: 30_000 });

beforeAll(async () => {
  iso = await createIsolation();
  dir = mkdtempSync(join(tmpdir(), 'jobwatch-tls-'));
  makeCertificates();
  const read = (name: string) => readFileSync(join(dir, name));
  apiServer = createServer({ key: read('server.key'), cert: read('server.crt'), ca: read('ca.crt'), requestCert: true, rejectUnauthorized: true }, (request, response) => {
    clientsSeen.push((request.socket as TLSSocket).getPeerCertificate().subject.CN as string);
    const name = request.url!.split('/').pop();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      kind: 'Job', metadata: { name }, status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
    }));
  });
  await new Promise<void>((resolve) => apiServer.listen(0, '127.0.0.1', resolve));
  apiUrl = `https://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
  tokenServer = createServer({ key: read('server.key'), cert: read('server.crt') }, (request, response) => {
    if (request.headers.authorization !== `Bearer ${SA_TOKEN}`) return void response.writeHead(401).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      kind: 'Job', status: { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'too many retries' }] },
    }));
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
  tokenUrl = `https://127.0.0.1:${(tokenServer.address() as AddressInfo).port}`;
  writeFileSync(join(dir, 'sa-token'), `${SA_TOKEN}\n`);
  writeFileSync(join(dir, 'render-hook.mjs'), `
    export async function getJobStatus(jobId, { source }) {
      if (jobId === 'throws') throw new Error('the render farm is down');
      return { render: { state: jobId === 'bad' ? 'ERR' : 'OK', frames: 240, asked: source } };
    }`);
  const sources = {
    cluster: {
      url: `${apiUrl}/apis/batch/v1/namespaces/{namespace}/jobs/{jobId}`, params: ['namespace'], convention: 'kubernetes-job',
      auth: { clientCert: { cert: join(dir, 'client.crt'), key: join(dir, 'client.key'), ca: join(dir, 'ca.crt') } },
    },
    'cluster-sa': {
      url: `${tokenUrl}/apis/batch/v1/namespaces/{namespace}/jobs/{jobId}`, params: ['namespace'], convention: 'kubernetes-job',
      auth: { bearer: { file: join(dir, 'sa-token') } }, ca: join(dir, 'ca.crt'),
    },
    'cluster-no-cert': { url: `${apiUrl}/apis/batch/v1/namespaces/{namespace}/jobs/{jobId}`, params: ['namespace'], convention: 'kubernetes-job' },
    farm: { hook: join(dir, 'render-hook.mjs'), statusPath: 'render.state', completed: ['OK'], failed: ['ERR'], outputPath: 'render' },
  };
  const sourcesPath = join(dir, 'jobwatch.sources.json');
  writeFileSync(sourcesPath, JSON.stringify({ sources }));
  worker = spawnWorker(iso.env({ ...ENV, JOBWATCH_SOURCES: sourcesPath }));
  client = testClient(iso, { JOBWATCH_SOURCES: sourcesPath });
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await client?.close();
  await stopChild(worker);
  for (const server of [apiServer, tokenServer]) {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }
  await iso?.cleanup();
});

describe('a client-certificate source (mutual TLS, its own CA)', () => {
  it('reads the Job with the client certificate, trusting the source\'s CA', async () => {
    await client.startMonitor({ monitorId: 'tls-ok', jobId: 'render-7', source: 'cluster', params: { namespace: 'renders' }, interval: '100ms' });
    expect(await row('tls-ok')).toMatchObject({ outcome: 'completed', jobStatus: 'Complete', detail: { decidedBy: { source: 'cluster', convention: 'kubernetes-job' } } });
    expect(clientsSeen).toContain('jobwatch-worker');
  });

  it('a bearer token with the source\'s own CA (a Kubernetes service account): the Failed condition ends it as failed', async () => {
    await client.startMonitor({ monitorId: 'tls-sa', jobId: 'render-9', source: 'cluster-sa', params: { namespace: 'renders' }, interval: '100ms' });
    expect(await row('tls-sa')).toMatchObject({ outcome: 'failed', jobStatus: 'Failed', detail: { error: { reason: 'BackoffLimitExceeded', message: 'too many retries' } } });
  });

  it('without them, the connection fails (the system CAs do not know the server): a failed check, then errored', async () => {
    await client.startMonitor({ monitorId: 'tls-none', jobId: 'render-8', source: 'cluster-no-cert', params: { namespace: 'renders' }, interval: '100ms' });
    expect(await row('tls-none')).toMatchObject({ outcome: 'errored', detail: { reason: 'connection', consecutiveFailures: 2 } });
  });
});

describe('a hook source', () => {
  it('calls the module\'s getJobStatus with the job id and the params; the mapping decides', async () => {
    await client.startMonitor({ monitorId: 'hook-ok', jobId: 'ok-1', source: 'farm', interval: '100ms' });
    expect(await row('hook-ok')).toMatchObject({ outcome: 'completed', jobStatus: 'OK', detail: { decidedBy: { source: 'farm', mapping: 'render.state' }, output: { frames: 240, asked: 'farm' } } });
    await client.startMonitor({ monitorId: 'hook-bad', jobId: 'bad', source: 'farm', interval: '100ms' });
    expect(await row('hook-bad')).toMatchObject({ outcome: 'failed', jobStatus: 'ERR' });
  });

  it('a hook that throws is a failed check (hook-error) naming the source', async () => {
    await client.startMonitor({ monitorId: 'hook-throws', jobId: 'throws', source: 'farm', interval: '100ms' });
    const result = await row('hook-throws');
    expect(result).toMatchObject({ outcome: 'errored', detail: { reason: 'hook-error' } });
    expect((result.detail as { error: string }).error).toBe('source "farm": getJobStatus threw: the render farm is down');
  });
});
