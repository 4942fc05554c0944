import { monitorDefaults, type Config } from '../../config/config.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import { parseMonitorInput, type MonitorInput, type ValidatedMonitor } from '../../monitor/input.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';
import { openClient } from '../services.ts';

export const enqueueHelp = `Usage: jobwatch enqueue --job-id ID (--status-url URL | --batch-status-url URL | --status-hook) [options]

Starts a monitor and prints it as one JSON line. Starting a monitor id that exists prints that
monitor and starts nothing.

  --job-id ID           the job's id in the service that runs it (required)
  --status-url URL      GET this URL for the status; {jobId} in it is replaced
  --batch-status-url URL  POST {"ids": [...]} here with the jobs due together; the answer holds
                        each job's status body under its id
  --status-hook         read the status through the workers' JOBWATCH_STATUS_HOOK module
  --monitor-id ID       the monitor's id (default: the job id)
  --interval DURATION   time between polls, e.g. 30s, 1m (default: JOBWATCH_DEFAULT_INTERVAL, 60s)
  --expire-in DURATION  how long to keep polling, e.g. 2h (default: JOBWATCH_DEFAULT_EXPIRE_IN, 24h)
  --status-field PATH   dotted path to the status in the JSON body (default: status)
  --meta JSON           a JSON object kept with the monitor and written with its result
  --backoff FACTOR,MAX  after each running status the interval grows by FACTOR up to MAX, e.g. 1.5,5m
  --jitter FRACTION     the random fraction of each delay, 0 to 1 (default: 0.1)
  --first-poll-in DURATION  when the first poll is due, e.g. 2m (default: at once)
  --history MODE        which status checks to keep: off, changes or all (default: JOBWATCH_HISTORY, changes)
  --notify-url URL      POST the final record here, signed, once the monitor has ended (default: JOBWATCH_NOTIFY_URL)
  --notify-queue NAME   add one job (id = monitor id) with the final record to this BullMQ queue
  --rate-key KEY        rate-limit, hold and circuit-break this monitor's status requests under KEY
                        (default: the status URL's host[:port]; see JOBWATCH_RATE_LIMITS)`;

export async function enqueueCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, {
    'job-id': { type: 'string' },
    'status-url': { type: 'string' },
    'batch-status-url': { type: 'string' },
    'status-hook': { type: 'boolean' },
    'monitor-id': { type: 'string' },
    interval: { type: 'string' },
    'expire-in': { type: 'string' },
    'status-field': { type: 'string' },
    meta: { type: 'string' },
    backoff: { type: 'string' },
    jitter: { type: 'string' },
    'first-poll-in': { type: 'string' },
    history: { type: 'string' },
    'notify-url': { type: 'string' },
    'notify-queue': { type: 'string' },
    'rate-key': { type: 'string' },
  }, 'enqueue');
  if (values.help) return printHelp(enqueueHelp);
  if (values['job-id'] === undefined) throw new InvalidInputError('--job-id', 'is required');
  const input: MonitorInput = {
    jobId: values['job-id'],
    ...(values['status-url'] !== undefined ? { statusUrl: values['status-url'] } : {}),
    ...(values['batch-status-url'] !== undefined ? { batchStatusUrl: values['batch-status-url'] } : {}),
    ...(values['status-hook'] ? { statusHook: true } : {}),
    ...(values['monitor-id'] !== undefined ? { monitorId: values['monitor-id'] } : {}),
    ...(values.interval !== undefined ? { interval: values.interval } : {}),
    ...(values['expire-in'] !== undefined ? { expireIn: values['expire-in'] } : {}),
    ...(values['status-field'] !== undefined ? { statusField: values['status-field'] } : {}),
    ...(values.meta !== undefined ? { metadata: parseMeta(values.meta) } : {}),
    ...(values.backoff !== undefined ? { backoff: parseBackoff(values.backoff) } : {}),
    // A number when it reads as one; otherwise the text, which the schema refuses by name.
    ...(values.jitter !== undefined ? { jitter: (values.jitter.trim() !== '' && Number.isFinite(Number(values.jitter)) ? Number(values.jitter) : values.jitter) as number } : {}),
    ...(values['first-poll-in'] !== undefined ? { firstPollIn: values['first-poll-in'] } : {}),
    // Checked against the modes by parseMonitorInput, as any other value.
    ...(values.history !== undefined ? { history: values.history as MonitorInput['history'] } : {}),
    ...(values['notify-url'] !== undefined ? { notifyUrl: values['notify-url'] } : {}),
    ...(values['notify-queue'] !== undefined ? { notifyQueue: values['notify-queue'] } : {}),
    ...(values['rate-key'] !== undefined ? { rateKey: values['rate-key'] } : {}),
  };
  const config = readConfig();
  // Validated once, before any connection is opened: bad input never reaches Redis.
  const monitor = validateWithFlagNames(input, config);

  const services = await openClient(config, 'enqueue');
  try {
    const { monitor: state, created } = await services.client.startMonitor(monitor);
    printJson({ created, ...state });
    return 0;
  } finally {
    await services.close();
  }
}

const FLAG_OF_FIELD: Record<string, string> = {
  jobId: '--job-id', statusUrl: '--status-url', batchStatusUrl: '--batch-status-url', statusHook: '--status-hook', monitorId: '--monitor-id',
  interval: '--interval', expireIn: '--expire-in', statusField: '--status-field', metadata: '--meta',
  backoff: '--backoff', jitter: '--jitter', firstPollIn: '--first-poll-in',
  history: '--history', notifyUrl: '--notify-url', notifyQueue: '--notify-queue', rateKey: '--rate-key',
};

/** `1.5,5m` as `{factor: 1.5, max: "5m"}`; the schema checks the values. */
function parseBackoff(text: string): { factor: number; max: string } {
  const match = /^\s*([\d.]+)\s*,\s*(\S+)\s*$/.exec(text);
  if (!match || !Number.isFinite(Number(match[1]))) throw new InvalidInputError('--backoff', `${JSON.stringify(text)} is not FACTOR,MAX; use e.g. 1.5,5m`);
  return { factor: Number(match[1]), max: match[2]! };
}

/** The one validation of the flags' monitor, its errors naming the flag (`--interval`) rather than the field. */
function validateWithFlagNames(input: MonitorInput, config: Config): ValidatedMonitor {
  try {
    return parseMonitorInput(input, monitorDefaults(config), Date.now());
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const field = String(error.path[0] ?? '');
    const flag = FLAG_OF_FIELD[field];
    // A part of a flag's value keeps its name: `--backoff (factor)`.
    const part = error.path.slice(1).join('.');
    throw error.at(flag ? (part ? `${flag} (${part})` : flag) : error.field);
  }
}

function parseMeta(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidInputError('--meta', `is not valid JSON: ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError('--meta', 'must be a JSON object, e.g. {"customer":"acme"}');
  }
  return value as Record<string, unknown>;
}

