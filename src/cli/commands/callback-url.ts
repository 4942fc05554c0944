import { callbackUrl } from '../../client/callback-url.ts';
import type { Config } from '../../config/config.ts';
import { ConfigError } from '../../errors/errors.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';
import { requireMonitorId } from './status.ts';

export const callbackUrlHelp = `Usage: jobwatch callback-url MONITOR_ID

Prints the monitor's callback URL as one JSON line: {"monitorId", "callbackUrl"}. It depends on
the id, JOBWATCH_PUBLIC_URL and JOBWATCH_CALLBACK_SECRET only, so it is known before the monitor
starts: hand it to the job, which POSTs {"status": "Completed"} to it without an API token.`;

export async function callbackUrlCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values, positionals } = parseFlags(args, {}, 'callback-url', 1);
  if (values.help) return printHelp(callbackUrlHelp);
  const monitorId = requireMonitorId(positionals, 'callback-url');
  const config = readConfig();
  if (!config.callbackSecret) {
    throw new ConfigError('JOBWATCH_CALLBACK_SECRET: is required for callback URLs; generate one with `openssl rand -hex 32`');
  }
  printJson({ monitorId, callbackUrl: callbackUrl(config.publicUrl, config.callbackSecret, monitorId) });
  return 0;
}
