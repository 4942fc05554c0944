import type { Config } from '../config/config.ts';
import { rateKeyOf } from '../monitor/rate-key.ts';
import type { HostGate } from '../monitor/request-gate.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import { GatedStatusProvider } from './gated-provider.ts';
import { HookStatusProvider } from './hook-provider.ts';
import { HttpStatusProvider } from './http-provider.ts';
import { StatusRouter } from './status-router.ts';

/**
 * The HTTP provider, plus the status hook when JOBWATCH_STATUS_HOOK names one; with a gate, each
 * request of both passes it (rate limits, host-wide holds, circuits), under the monitor's rate key.
 */
export async function createStatusProvider(config: Config, gate?: HostGate): Promise<StatusProvider> {
  const hook = config.statusHookPath ? await HookStatusProvider.load(config.statusHookPath, config.statusTimeoutMs) : undefined;
  const http = new HttpStatusProvider({ timeoutMs: config.statusTimeoutMs });
  if (!gate) return new StatusRouter({ http, hook });
  return new StatusRouter({
    http: new GatedStatusProvider(http, gate, (context) => rateKeyOf(context)),
    hook: hook && new GatedStatusProvider(hook, gate, (context) => rateKeyOf(context, hook.rateKey)),
  });
}
