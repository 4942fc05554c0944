import { monitorDefaults, type Config } from '../../config/config.ts';
import { parseMonitorInput, type MonitorInput } from '../../monitor/input.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';
import { fieldHelpLine, flaggedFields, flagOptions, readFlaggedFields, withFlagNames } from '../monitor-flags.ts';
import { openClient } from '../services.ts';

/** The monitor fields that have a flag, in the order of their declaration (and of the help). */
const FLAGGED = flaggedFields();

const FLAG_OPTIONS = flagOptions(FLAGGED);

export const enqueueHelp = `Usage: jobwatch enqueue --job-id ID (--status-url URL | --batch-status-url URL | --status-hook | --source NAME [--param KEY=VALUE]...) [options]

Starts a monitor and prints it as one JSON line. Starting a monitor id that exists prints that
monitor and starts nothing.

${FLAGGED.map(fieldHelpLine).join('\n')}`;

export async function enqueueCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, FLAG_OPTIONS, 'enqueue');
  if (values.help) return printHelp(enqueueHelp);
  const input = readFlaggedFields(FLAGGED, values);
  const config = readConfig();
  // Validated once, before any connection is opened: bad input never reaches Redis.
  const monitor = withFlagNames(FLAGGED, () => parseMonitorInput(input as MonitorInput, monitorDefaults(config), Date.now()));

  const services = await openClient(config, 'enqueue');
  try {
    const { monitor: state, created } = await services.client.startMonitor(monitor);
    printJson({ created, ...state });
    return 0;
  } finally {
    await services.close();
  }
}
