import type { Config } from '../config/config.ts';
import { HookStatusProvider } from './hook-provider.ts';
import { HttpStatusProvider } from './http-provider.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import { StatusRouter } from './status-router.ts';

/** The HTTP provider, plus the status hook when JOBWATCH_STATUS_HOOK names one. */
export async function createStatusProvider(config: Config): Promise<StatusProvider> {
  const hook = config.statusHookPath ? await HookStatusProvider.load(config.statusHookPath, config.statusTimeoutMs) : undefined;
  return new StatusRouter({ http: new HttpStatusProvider({ timeoutMs: config.statusTimeoutMs }), hook });
}
