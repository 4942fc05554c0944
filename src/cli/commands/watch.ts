import type { Config } from '../../config/config.ts';
import { durationFlag, parseFlags, printHelp } from '../flags.ts';
import { namespaceFlag, namespaceHelp, NAMESPACE_OPTION } from '../namespace-flag.ts';
import { openClient } from '../services.ts';
import { abortOnInterrupt } from '../terminal.ts';
import { followMonitor } from '../watch-follow.ts';
import { jsonReporter, textReporter } from '../watch-reporters.ts';
import { WATCH_EXIT_CODE_ROWS } from '../watch-render.ts';
import { requireMonitorId } from './status.ts';

export const watchHelp = `Usage: jobwatch watch MONITOR_ID [--every DURATION] [--timeout DURATION] [--json] [--namespace NAME]

Follows one monitor to its end, like \`gh run watch\`: prints each status check as it lands (the
columns of \`jobwatch history\`; when the monitor keeps no history, each change of its polls and
last status), then its final record, and exits with a code that says how it ended. On a terminal a
spinner line shows the next poll time in between. A monitor that has already ended prints its
history and exits at once.

  --every DURATION     time between two reads of the monitor, 100ms to 1m (default: 1s)
  --timeout DURATION   stop waiting after this long, 1s to 30d (exit 7); the monitor goes on
  --json               one JSON line per event (start, check, progress, end, timeout)
${namespaceHelp(21)}

Exit codes:
${WATCH_EXIT_CODE_ROWS.map(([code, meaning]) => `  ${String(code).padEnd(4)} ${meaning}`).join('\n')}

Example: jobwatch watch "$ID" && deploy`;

const DEFAULT_EVERY_MS = 1_000;

export async function watchCommand(args: string[], readConfig: () => Config): Promise<number> {
  const flags = { every: { type: 'string' }, timeout: { type: 'string' }, json: { type: 'boolean' }, ...NAMESPACE_OPTION } as const;
  const { values, positionals } = parseFlags(args, flags, 'watch', 1);
  if (values.help) return printHelp(watchHelp);
  const monitorId = requireMonitorId(positionals, 'watch');
  const everyMs = durationFlag('--every', values.every, 100, 60_000) ?? DEFAULT_EVERY_MS;
  const timeoutMs = durationFlag('--timeout', values.timeout, 1_000, 30 * 86_400_000);
  const namespace = namespaceFlag(values.namespace);
  const config = readConfig();
  const controller = new AbortController();
  const stopListening = abortOnInterrupt(controller);
  const services = await openClient(config, 'watch');
  try {
    const reporter = values.json ? jsonReporter() : textReporter(process.stdout, process.stdout.isTTY === true);
    const options = { monitorId, namespace, everyMs, timeoutMs, historyMode: config.history, signal: controller.signal };
    return await followMonitor(services.client, options, reporter);
  } finally {
    stopListening();
    await services.close();
  }
}
