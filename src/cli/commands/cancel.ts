import type { Config } from '../../config/config.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';
import { monitorNamed, namespaceHelp, NAMESPACE_OPTION, namespaceFlag } from '../namespace-flag.ts';
import { openClient } from '../services.ts';
import { requireMonitorId } from './status.ts';

export const cancelHelp = `Usage: jobwatch cancel MONITOR_ID [--namespace NAME]

Stops a running monitor, records it as canceled, and prints its state as one JSON line. A monitor
that has already ended is printed as it is.

${namespaceHelp()}`;

export async function cancelCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values, positionals } = parseFlags(args, NAMESPACE_OPTION, 'cancel', 1);
  if (values.help) return printHelp(cancelHelp);
  const monitorId = requireMonitorId(positionals, 'cancel');
  const namespace = namespaceFlag(values.namespace);
  const services = await openClient(readConfig(), 'cancel');
  try {
    printJson(await services.client.cancelMonitor(monitorNamed(monitorId, namespace)));
    return 0;
  } finally {
    await services.close();
  }
}
