import type { Config } from '../../config/config.ts';
import { integerFlag, parseFlags, printHelp, printJson } from '../flags.ts';
import { monitorNamed, namespaceFlag, namespaceHelp, NAMESPACE_OPTION } from '../namespace-flag.ts';
import { openClient } from '../services.ts';
import { formatChecks } from '../check-rows.ts';
import { requireMonitorId } from './status.ts';

export const historyHelp = `Usage: jobwatch history MONITOR_ID [--limit N] [--cursor CURSOR] [--namespace NAME]

Prints the monitor's status checks, oldest first, as JOBWATCH_HISTORY (or the monitor's history
setting) kept them: a table on a terminal, one JSON line per check otherwise.

  --limit N         checks per page, 1 to 1000 (default: 100)
  --cursor CURSOR   the next page, as printed after the previous one
${namespaceHelp(18)}`;

export async function historyCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values, positionals } = parseFlags(args, { limit: { type: 'string' }, cursor: { type: 'string' }, ...NAMESPACE_OPTION }, 'history', 1);
  if (values.help) return printHelp(historyHelp);
  const monitorId = requireMonitorId(positionals, 'history');
  const limit = integerFlag('--limit', values.limit, 1, 1_000);
  const namespace = namespaceFlag(values.namespace);
  const services = await openClient(readConfig(), 'history');
  try {
    const page = await services.client.getChecks(monitorNamed(monitorId, namespace), { limit, cursor: values.cursor });
    const more = page.nextCursor ? `more: jobwatch history ${monitorId} --cursor ${page.nextCursor}${namespace ? ` --namespace ${namespace}` : ''}` : undefined;
    if (process.stdout.isTTY) {
      process.stdout.write(`${formatChecks(page.checks)}\n`);
      if (more) process.stdout.write(`${more}\n`);
    } else {
      for (const check of page.checks) printJson(check);
      if (more) process.stderr.write(`${more}\n`);
    }
    return 0;
  } finally {
    await services.close();
  }
}
