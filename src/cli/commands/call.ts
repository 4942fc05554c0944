import { operationDefaults, type Config } from '../../config/config.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import { parseOperationInput, type ValidatedOperation } from '../../monitor/operation-input.ts';
import { durationFlag, parseFlags, parsePairs, printHelp, printJson } from '../flags.ts';
import { fieldHelpLine, flaggedFields, flagOptions, helpLine, parseJsonFlag, parseJsonObject, readFlaggedFields, withFlagNames } from '../monitor-flags.ts';
import { namespaceFlag, namespaceHelp, NAMESPACE_OPTION } from '../namespace-flag.ts';
import { openClient } from '../services.ts';
import { abortOnInterrupt } from '../terminal.ts';
import { followMonitor } from '../watch-follow.ts';
import { jsonReporter, textReporter } from '../watch-reporters.ts';
import { WATCH_EXIT_CODE_ROWS } from '../watch-render.ts';

/**
 * The monitor fields an operation takes as flags: not the job id or where its status is read (its
 * source's start request answers those), and not the few whose words differ here (its id, params
 * and namespace, declared below).
 */
const FLAGGED = flaggedFields(['jobId', 'statusUrl', 'batchStatusUrl', 'statusHook', 'source', 'params', 'namespace', 'monitorId']);

const FLAG_OPTIONS = {
  ...flagOptions(FLAGGED),
  body: { type: 'string' },
  param: { type: 'string', multiple: true },
  'monitor-id': { type: 'string' },
  // The issue's spelling of enqueue's --meta: both are taken.
  metadata: { type: 'string' },
  ...NAMESPACE_OPTION,
  wait: { type: 'boolean' },
  every: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The flags of `--wait` alone: given without it, each is an input error naming it. */
const WAIT_FLAGS = ['every', 'timeout', 'json'] as const;

/** How the operation's errors are named in the CLI's words, most specific path first. */
const NAMES_OF_PATHS = {
  'request.body': '--body', 'request.params': '--param', request: '--body', monitorId: '--monitor-id', namespace: '--namespace', source: 'SOURCE',
};

const DEFAULT_EVERY_MS = 1_000;

export const callHelp = `Usage: jobwatch call SOURCE [--body JSON] [--param KEY=VALUE]... [--monitor-id ID] [--wait] [options]

Starts an operation: jobwatch sends the start request the source declares in the sources file
(JOBWATCH_SOURCES), with an idempotency key, and watches what it answers to the end. Prints the
operation's monitor as one JSON line (state "starting" until a worker has sent the start request).
Calling an operation id that exists with the same request prints it and starts nothing; with
another request it is refused. With --wait, follows it to its end as \`jobwatch watch\` does, and
exits with the same codes.

${helpLine('--body JSON', 'the JSON body of the start request (at most 16 KiB); absent: none is sent')}
${helpLine('--param KEY=VALUE', "a value for one of the params of the source's start URL and poll URL; repeat for each")}
${helpLine('--monitor-id ID', "the operation's id (its monitor's) (default: a new op-<uuid>)")}
${namespaceHelp(22, 'the namespace the operation belongs to (default: default)')}
${FLAGGED.map(fieldHelpLine).join('\n')}
${helpLine('--metadata JSON', 'the same as --meta')}
${helpLine('--wait', 'follow the operation to its end, as jobwatch watch does, and exit by its outcome')}
${helpLine('--every DURATION', 'with --wait: time between two reads of the monitor, 100ms to 1m (default: 1s)')}
${helpLine('--timeout DURATION', 'with --wait: stop waiting after this long, 1s to 30d (exit 7); the operation goes on')}
${helpLine('--json', 'with --wait: one JSON line per event (start, check, progress, answered, end, timeout)')}

Exit codes with --wait:
${WATCH_EXIT_CODE_ROWS.map(([code, meaning]) => `  ${String(code).padEnd(4)} ${meaning.replace('the monitor', 'the operation').replace('a missing MONITOR_ID', 'a missing SOURCE')}`).join('\n')}

Example: jobwatch call render --body '{"scene": 7}' --monitor-id render-42 --wait && publish`;

export async function callCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values, positionals } = parseFlags(args, FLAG_OPTIONS, 'call', 1);
  if (values.help) return printHelp(callHelp);
  const source = positionals[0];
  if (source === undefined) throw new InvalidInputError('SOURCE', 'is required: jobwatch call SOURCE, a source of the sources file that declares a start request');
  const waitFlag = WAIT_FLAGS.find((flag) => values[flag] !== undefined && !values.wait);
  if (waitFlag) throw new InvalidInputError(`--${waitFlag}`, 'goes with --wait');
  const everyMs = durationFlag('--every', values.every, 100, 60_000) ?? DEFAULT_EVERY_MS;
  const timeoutMs = durationFlag('--timeout', values.timeout, 1_000, 30 * 86_400_000);
  const input = { ...readFlaggedFields(FLAGGED, values), ...ownFlags(values), source };
  const config = readConfig();
  // Validated once, before any connection is opened: bad input never reaches Redis.
  const operation = withFlagNames(FLAGGED, () => parseOperationInput(input, operationDefaults(config), Date.now()), NAMES_OF_PATHS);
  if (!values.wait) return start(config, operation);

  const controller = new AbortController();
  const stopListening = abortOnInterrupt(controller);
  const services = await openClient(config, 'call');
  try {
    await services.client.startOperation(operation);
    const reporter = values.json ? jsonReporter() : textReporter(process.stdout, process.stdout.isTTY === true);
    const options = { monitorId: operation.monitorId, namespace: operation.namespace, everyMs, timeoutMs, historyMode: config.history, signal: controller.signal };
    return await followMonitor(services.client, options, reporter);
  } finally {
    stopListening();
    await services.close();
  }
}

/** Starts the operation and prints its monitor, with `created`, as `jobwatch enqueue` prints a monitor. */
async function start(config: Config, operation: ValidatedOperation): Promise<number> {
  const services = await openClient(config, 'call');
  try {
    const { monitor, created } = await services.client.startOperation(operation);
    printJson({ created, ...monitor });
    return 0;
  } finally {
    await services.close();
  }
}

/** The flags whose words are the call's own: the request, the operation's id and namespace, and --metadata. */
function ownFlags(values: { body?: string; param?: string[]; 'monitor-id'?: string; metadata?: string; meta?: unknown; namespace?: string }): Record<string, unknown> {
  if (values.metadata !== undefined && values.meta !== undefined) throw new InvalidInputError('--metadata', 'is the same as --meta; give one of them');
  const metadata = values.metadata === undefined ? undefined : parseJsonObject(values.metadata, '--metadata');
  const request = {
    ...(values.body === undefined ? {} : { body: parseJsonFlag(values.body, '--body') }),
    ...(values.param === undefined ? {} : { params: parsePairs(values.param, '--param') }),
  };
  const namespace = namespaceFlag(values.namespace);
  return {
    ...(Object.keys(request).length > 0 ? { request } : {}),
    ...(values['monitor-id'] === undefined ? {} : { monitorId: values['monitor-id'] }),
    ...(namespace === undefined ? {} : { namespace }),
    ...(metadata === undefined ? {} : { metadata }),
  };
}
