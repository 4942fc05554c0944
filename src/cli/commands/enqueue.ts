import { monitorDefaults, type Config } from '../../config/config.ts';
import { describeEnvDefault } from '../../config/describe-option.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import { parseMonitorInput, type MonitorInput, type ValidatedMonitor } from '../../monitor/input.ts';
import { MONITOR_FIELDS, type FlagForm, type MonitorField, type MonitorFlag } from '../../monitor/input-fields.ts';
import { parseFlags, parsePairs, printHelp, printJson } from '../flags.ts';
import { openClient } from '../services.ts';

/** The monitor fields that have a flag, in the order of their declaration (and of the help). */
const FLAGGED = Object.entries(MONITOR_FIELDS).flatMap(([field, spec]: [string, MonitorField]) => (spec.flag ? [{ field, spec, flag: spec.flag }] : []));

const FLAG_OPTIONS = Object.fromEntries(FLAGGED.map(({ flag }) => [
  flag.name, { type: flag.form === 'switch' ? 'boolean' as const : 'string' as const, ...(flag.form === 'pairs' ? { multiple: true } : {}) },
]));

const FLAG_OF_FIELD: Record<string, string> = Object.fromEntries(FLAGGED.map(({ field, flag }) => [field, `--${flag.name}`]));

/** How each form of flag text becomes a field's value; the schema then checks the value by the field's rules. */
const READ_FLAG: Record<Exclude<FlagForm, 'pairs'>, (text: string, flag: string) => unknown> = {
  text: (text) => text,
  // A number when it reads as one; otherwise the text, which the schema refuses by name.
  number: (text) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text),
  json: parseJsonObject,
  'factor-max': parseFactorMax,
  switch: () => true,
};

/** Where the text of a help line starts, and the width it wraps at. */
const HELP_INDENT = 24;
const HELP_WIDTH = 100;

export const enqueueHelp = `Usage: jobwatch enqueue --job-id ID (--status-url URL | --batch-status-url URL | --status-hook | --source NAME [--param KEY=VALUE]...) [options]

Starts a monitor and prints it as one JSON line. Starting a monitor id that exists prints that
monitor and starts nothing.

${FLAGGED.map(({ spec, flag }) => helpLine(flag, spec)).join('\n')}`;

export async function enqueueCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, FLAG_OPTIONS, 'enqueue');
  if (values.help) return printHelp(enqueueHelp);
  const input: Record<string, unknown> = {};
  for (const { field, spec, flag } of FLAGGED) {
    const value = values[flag.name];
    if (value === undefined || value === false) {
      if (spec.required) throw new InvalidInputError(`--${flag.name}`, 'is required');
      continue;
    }
    input[field] = flag.form === 'pairs' ? parsePairs(value as string[], `--${flag.name}`) : READ_FLAG[flag.form ?? 'text'](String(value), `--${flag.name}`);
  }
  const config = readConfig();
  // Validated once, before any connection is opened: bad input never reaches Redis.
  const monitor = validateWithFlagNames(input as MonitorInput, config);

  const services = await openClient(config, 'enqueue');
  try {
    const { monitor: state, created } = await services.client.startMonitor(monitor);
    printJson({ created, ...state });
    return 0;
  } finally {
    await services.close();
  }
}

/** `1.5,5m` as `{factor: 1.5, max: "5m"}`; the schema checks the values. */
function parseFactorMax(text: string, flag: string): { factor: number; max: string } {
  const match = /^\s*([\d.]+)\s*,\s*(\S+)\s*$/.exec(text);
  if (!match || !Number.isFinite(Number(match[1]))) throw new InvalidInputError(flag, `${JSON.stringify(text)} is not FACTOR,MAX; use e.g. 1.5,5m`);
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

function parseJsonObject(text: string, flag: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidInputError(flag, `is not valid JSON: ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(flag, 'must be a JSON object, e.g. {"customer":"acme"}');
  }
  return value as Record<string, unknown>;
}

/** `  --interval DURATION   time between polls, e.g. 30s, 1m (default: JOBWATCH_DEFAULT_INTERVAL, 60s)`, wrapped. */
function helpLine(flag: MonitorFlag, spec: MonitorField): string {
  const usage = `  --${flag.name}${flag.value ? ` ${flag.value}` : ''}`;
  const fallback = spec.defaultEnv ? describeEnvDefault(spec.defaultEnv) : spec.default?.replaceAll('`', '');
  const text = `${flag.help}${fallback ? ` (default: ${fallback})` : ''}`;
  // The first line ends in spaces until its first word; a word that would pass the width starts a new line.
  const lines = [usage.length < HELP_INDENT ? usage.padEnd(HELP_INDENT) : `${usage}  `];
  for (const word of text.split(' ')) {
    const last = lines[lines.length - 1]!;
    if (last.endsWith(' ')) lines[lines.length - 1] = last + word;
    else if (last.length + 1 + word.length > HELP_WIDTH) lines.push(' '.repeat(HELP_INDENT) + word);
    else lines[lines.length - 1] = `${last} ${word}`;
  }
  return lines.join('\n');
}
