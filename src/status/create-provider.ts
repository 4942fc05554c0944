import type { Config } from '../config/config.ts';
import type { RequestGate } from '../monitor/hold.ts';
import { BatchHttpStatusProvider } from './batch-http-provider.ts';
import { HookStatusProvider } from './hook-provider.ts';
import { HttpStatusProvider } from './http-provider.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import { StatusRouter } from './status-router.ts';

export interface StatusProviderOptions {
  /** Admits each request (rate limits, host-wide holds); a batch once. @defaultValue none */
  gate?: RequestGate | undefined;
  /** Polls the process runs at once: when that many wait in batches, they are sent without waiting out the window. @defaultValue config.concurrency */
  concurrency?: number | undefined;
}

/** The HTTP and batch HTTP providers, plus the status hook when JOBWATCH_STATUS_HOOK names one. */
export async function createStatusProvider(config: Config, options: StatusProviderOptions = {}): Promise<StatusProvider> {
  const batch = { maxIds: config.batchMaxIds, windowMs: config.batchWindowMs, slots: options.concurrency ?? config.concurrency, gate: options.gate };
  const hook = config.statusHookPath ? await HookStatusProvider.load(config.statusHookPath, config.statusTimeoutMs, batch) : undefined;
  return new StatusRouter({
    http: new HttpStatusProvider({ timeoutMs: config.statusTimeoutMs }),
    batch: new BatchHttpStatusProvider({ ...batch, timeoutMs: config.statusTimeoutMs }),
    hook,
  });
}
