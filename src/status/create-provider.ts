import type { Config } from '../config/config.ts';
import type { MonitorContext } from '../monitor/context.ts';
import { GatedStatusProvider } from '../monitor/gate/gated-provider.ts';
import { rateKeyOf } from '../monitor/gate/rate-key.ts';
import type { RequestGate } from '../monitor/gate/request-gate.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import { BatchHttpStatusProvider } from './batch-http-provider.ts';
import { HookBatchStatusProvider } from './hook-batch-provider.ts';
import { HookStatusProvider } from './hook-provider.ts';
import { HttpStatusProvider } from './http-provider.ts';
import { SourceBatchStatusProvider } from './source-batch.ts';
import { SourceStatusProvider } from './source-provider.ts';
import type { SecretEnv } from './source-credentials.ts';
import { StatusRouter } from './status-router.ts';

export interface StatusProviderOptions {
  /**
   * Admits each request (rate limits, host-wide Retry-After holds, circuits) under the monitor's
   * rate key: a single request per poll, a batch once. @defaultValue none
   */
  gate?: RequestGate | undefined;
  /** Polls the process runs at once: when that many wait in batches, they are sent without waiting out the window. @defaultValue config.concurrency */
  concurrency?: number | undefined;
  /** Where sources' `{ "env": NAME }` credentials are looked up, at each request. @defaultValue none: every such credential is missing */
  env?: SecretEnv | undefined;
}

/** The HTTP, batch HTTP and source providers, plus the status hook when JOBWATCH_STATUS_HOOK names one. */
export async function createStatusProvider(config: Config, options: StatusProviderOptions = {}): Promise<StatusRouter> {
  const { gate } = options;
  const batch = { maxIds: config.batchMaxIds, windowMs: config.batchWindowMs, slots: options.concurrency ?? config.concurrency, gate };
  const hook = config.statusHookPath ? await HookStatusProvider.load(config.statusHookPath, config.statusTimeoutMs, batch) : undefined;
  // Batch providers admit each batch themselves; single-request ones go through the gate per request.
  const gated = (provider: StatusProvider, keyOf: (context: MonitorContext) => string) => (gate ? new GatedStatusProvider(provider, gate, keyOf) : provider);
  return new StatusRouter({
    http: gated(new HttpStatusProvider({ timeoutMs: config.statusTimeoutMs }), (context) => rateKeyOf(context)),
    batch: new BatchHttpStatusProvider({ ...batch, timeoutMs: config.statusTimeoutMs }),
    source: gated(new SourceStatusProvider({ sources: config.sources, timeoutMs: config.statusTimeoutMs, env: options.env ?? {} }), (context) => rateKeyOf(context)),
    sourceBatch: new SourceBatchStatusProvider({ ...batch, sources: config.sources, timeoutMs: config.statusTimeoutMs, env: options.env ?? {} }),
    hook: hook && (hook instanceof HookBatchStatusProvider ? hook : gated(hook, (context) => rateKeyOf(context, hook.rateKey))),
  }, hook?.rateKey);
}
