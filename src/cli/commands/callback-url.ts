import { callbackUrl } from '../../client/callback-url.ts';
import type { Config } from '../../config/config.ts';
import { ConfigError } from '../../errors/errors.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';
import { monitorNamed, namespaceFlag, namespaceHelp, NAMESPACE_OPTION } from '../namespace-flag.ts';
import { requireMonitorId } from './status.ts';

export const callbackUrlHelp = `Usage: jobwatch callback-url MONITOR_ID [--namespace NAME]

Prints the monitor's callback URL as one JSON line: {"monitorId", "callbackUrl"} (and "namespace"
when one is named). It depends on the namespace, the id, JOBWATCH_PUBLIC_URL and
JOBWATCH_CALLBACK_SECRET only, so it is known before the monitor starts: hand it to the job, which
POSTs {"status": "Completed"} to it without an API token. A URL pushes to its own namespace's
monitor only.

${namespaceHelp()}`;

export async function callbackUrlCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values, positionals } = parseFlags(args, NAMESPACE_OPTION, 'callback-url', 1);
  if (values.help) return printHelp(callbackUrlHelp);
  const monitorId = requireMonitorId(positionals, 'callback-url');
  const namespace = namespaceFlag(values.namespace);
  const config = readConfig();
  if (!config.callbackSecret) {
    throw new ConfigError('JOBWATCH_CALLBACK_SECRET: is required for callback URLs; generate one with `openssl rand -hex 32`');
  }
  const url = callbackUrl(config.publicUrl, config.callbackSecret, monitorNamed(monitorId, namespace));
  printJson({ ...(namespace === undefined ? {} : { namespace }), monitorId, callbackUrl: url });
  return 0;
}
