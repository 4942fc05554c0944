import type { Config } from '../../config/config.ts';
import { InvalidInputError, MonitorNotFoundError } from '../../errors/errors.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';
import { describeMonitor, monitorNamed, namespaceHelp, NAMESPACE_OPTION, namespaceFlag } from '../namespace-flag.ts';
import { openClient } from '../services.ts';

export const statusHelp = `Usage: jobwatch status MONITOR_ID [--namespace NAME]

Prints the monitor's state as one JSON line: while it runs, its live state from Redis (scheduled or
polling, polls so far, last status, next poll time); once it has ended, its final record.

${namespaceHelp()}`;

export async function statusCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values, positionals } = parseFlags(args, NAMESPACE_OPTION, 'status', 1);
  if (values.help) return printHelp(statusHelp);
  const monitorId = requireMonitorId(positionals, 'status');
  const namespace = namespaceFlag(values.namespace);
  const services = await openClient(readConfig(), 'status');
  try {
    const state = await services.client.getMonitor(monitorNamed(monitorId, namespace));
    if (!state) throw new MonitorNotFoundError(`no monitor with id ${describeMonitor(monitorId, namespace)}`);
    printJson(state);
    return 0;
  } finally {
    await services.close();
  }
}

export function requireMonitorId(positionals: string[], command: string): string {
  const monitorId = positionals[0];
  if (!monitorId) throw new InvalidInputError('MONITOR_ID', `is required: jobwatch ${command} MONITOR_ID`);
  return monitorId;
}
