import type { Config } from '../config/config.ts';
import type { RequestGate } from '../monitor/hold.ts';
import { BatchHttpStatusProvider } from './batch-http-provider.ts';
import { HookStatusProvider } from './hook-provider.ts';
import { HttpStatusProvider } from './http-provider.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import { StatusRouter } from './status-router.ts';

/**
 * The HTTP and batch HTTP providers, plus the status hook when JOBWATCH_STATUS_HOOK names one.
 * Batches are admitted through `gate` (rate limits, host-wide holds) when one is given.
 */
export async function createStatusProvider(config: Config, options: { gate?: RequestGate | undefined } = {}): Promise<StatusProvider> {
  const batch = { maxIds: config.batchMaxIds, windowMs: config.batchWindowMs, gate: options.gate };
  const hook = config.statusHookPath ? await HookStatusProvider.load(config.statusHookPath, config.statusTimeoutMs, batch) : undefined;
  return new StatusRouter({
    http: new HttpStatusProvider({ timeoutMs: config.statusTimeoutMs }),
    batch: new BatchHttpStatusProvider({ ...batch, timeoutMs: config.statusTimeoutMs }),
    hook,
  });
}
