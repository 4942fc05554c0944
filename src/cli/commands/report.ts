import type { Config } from '../../config/config.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import { parsePushedStatus, type PushedStatus } from '../../monitor/push.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';
import { monitorNamed, namespaceHelp, NAMESPACE_OPTION, namespaceFlag } from '../namespace-flag.ts';
import { openClient } from '../services.ts';
import { requireMonitorId } from './status.ts';

export const reportHelp = `Usage: jobwatch report MONITOR_ID STATUS [--body JSON] [--namespace NAME]

Reports the job's status for its monitor, as the job service would push it. A terminal status
(Completed, Failed, ...) ends a running monitor now; a running one (Processing, ...) is recorded as
its last status. Prints the monitor's state after the push as one JSON line, with "accepted": false
when it had already ended. For a monitor id that has not started yet, the status is kept
(JOBWATCH_EARLY_STATUS_TTL) and ends it at its first poll: the state printed is "not-started".

Options:
  --body JSON           anything about the job (at most 16 KiB of JSON), kept in the final
                        record's detail.body
${namespaceHelp(22)}`;

export async function reportCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values, positionals } = parseFlags(args, { body: { type: 'string' }, ...NAMESPACE_OPTION }, 'report', 2);
  if (values.help) return printHelp(reportHelp);
  const monitorId = requireMonitorId(positionals, 'report');
  const status = positionals[1];
  if (!status) throw new InvalidInputError('STATUS', 'is required: jobwatch report MONITOR_ID STATUS, e.g. Completed');
  // Validated here, before any service is opened, so bad input answers with exit code 2 at once.
  const pushed = parsePushed(status, values.body);
  const namespace = namespaceFlag(values.namespace);
  const services = await openClient(readConfig(), 'report');
  try {
    printJson(await services.client.reportStatus(monitorNamed(monitorId, namespace), pushed));
    return 0;
  } finally {
    await services.close();
  }
}

/** The pushed status, its errors about the body named as the flag that gave it. */
function parsePushed(status: string, body: string | undefined): PushedStatus {
  try {
    return parsePushedStatus({ status, ...(body !== undefined ? { body: parseBody(body) } : {}) });
  } catch (error) {
    if (error instanceof InvalidInputError && error.path[0] === 'body') throw error.at('--body');
    throw error;
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError('--body', `is not valid JSON: ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`);
  }
}
