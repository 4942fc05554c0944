import { MAX_STATUS_BODY_BYTES } from '../monitor/input-limits.ts';
import type { Source } from '../sources/sources-file.ts';
import { DEFAULT_CONNECTIONS_PER_HOST } from './http-provider.ts';
import { authHeaders, clientTls, type Resolved, type SecretEnv } from './source-credentials.ts';
import { StatusHttpClient, type StatusRequest, type StatusResponse } from './status-request.ts';

/**
 * Sends a source's requests with its credentials: one shared client, and one per source with its
 * own TLS (a client certificate, a CA), whose options hold for all its connections. Secrets are
 * resolved at each request and live only in its headers.
 */
export class SourceClients {
  private readonly shared: StatusHttpClient;
  private readonly tls = new Map<string, Promise<Resolved<StatusHttpClient>>>();

  constructor(private readonly env: SecretEnv, private readonly maxBodyBytes: number = MAX_STATUS_BODY_BYTES) {
    this.shared = new StatusHttpClient({ connectionsPerHost: DEFAULT_CONNECTIONS_PER_HOST, maxBodyBytes });
  }

  /** Sends one request of a source, its auth and static headers set; a credential that cannot be read is the failure. */
  /** One request of a source: its static headers, then `call`'s own (an idempotency key), then its credentials. */
  async send(source: Source, call: StatusRequest): Promise<StatusResponse> {
    const headers = await authHeaders(source.name, source.auth, this.env);
    if (!headers.ok) return headers;
    const client = await this.clientOf(source);
    if (!client.ok) return client;
    return client.value.send({ ...call, headers: { ...source.headers, ...call.headers, ...headers.value } });
  }

  async close(): Promise<void> {
    const clients = await Promise.all(this.tls.values());
    this.tls.clear();
    await Promise.all([this.shared.close(), ...clients.map((client) => (client.ok ? client.value.close() : undefined))]);
  }

  private async clientOf(source: Source): Promise<Resolved<StatusHttpClient>> {
    if (source.auth?.kind !== 'clientCert' && source.ca === undefined) return { ok: true, value: this.shared };
    const making = this.tls.get(source.name) ?? clientTls(source.name, source.auth, source.ca).then((tls): Resolved<StatusHttpClient> => (tls.ok
      ? { ok: true, value: new StatusHttpClient({ connectionsPerHost: DEFAULT_CONNECTIONS_PER_HOST, maxBodyBytes: this.maxBodyBytes, tls: tls.value }) }
      : tls));
    this.tls.set(source.name, making);
    const client = await making;
    // Files that could not be read are tried again at the next request (they may be mounted by then).
    if (!client.ok) this.tls.delete(source.name);
    return client;
  }
}
