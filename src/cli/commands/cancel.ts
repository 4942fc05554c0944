import type { Config } from '../../config/config.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';
import { openClient } from '../services.ts';
import { requireMonitorId } from './status.ts';

export const cancelHelp = `Usage: jobwatch cancel MONITOR_ID

Stops a running monitor, records it as canceled, and prints its state as one JSON line. A monitor
that has already ended is printed as it is.`;

export async function cancelCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values, positionals } = parseFlags(args, {}, 'cancel', 1);
  if (values.help) return printHelp(cancelHelp);
  const monitorId = requireMonitorId(positionals, 'cancel');
  const services = await openClient(readConfig(), 'cancel');
  try {
    printJson(await services.client.cancelMonitor(monitorId));
    return 0;
  } finally {
    await services.close();
  }
}
