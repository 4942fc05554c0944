import { describeEnvDefault } from '../config/describe-option.ts';
import { InvalidInputError } from '../errors/errors.ts';
import { MONITOR_FIELDS, type FlagForm, type MonitorField, type MonitorFlag } from '../monitor/input-fields.ts';
import { parsePairs } from './flags.ts';

/**
 * The flags of a monitor's fields, as `jobwatch enqueue` and `jobwatch call` take them: each is
 * declared once, with its field, in src/monitor/input-fields.ts; here they become parseArgs
 * options, field values and help lines, and the schema's errors are named by the flag.
 */
export interface FlaggedField {
  field: string;
  spec: MonitorField;
  flag: MonitorFlag;
}

/** The monitor fields that have a flag, in the order of their declaration (and of the help), less the fields `without`. */
export function flaggedFields(without: readonly string[] = []): FlaggedField[] {
  return Object.entries(MONITOR_FIELDS).flatMap(([field, spec]: [string, MonitorField]) =>
    (spec.flag && !without.includes(field) ? [{ field, spec, flag: spec.flag }] : []));
}

export type FlagOptions = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/** The fields' flags as node:util parseArgs options. */
export function flagOptions(flagged: readonly FlaggedField[]): FlagOptions {
  return Object.fromEntries(flagged.map(({ flag }) => [
    flag.name, { type: flag.form === 'switch' ? 'boolean' as const : 'string' as const, ...(flag.form === 'pairs' ? { multiple: true } : {}) },
  ]));
}

/** How each form of flag text becomes a field's value; the schema then checks the value by the field's rules. */
const READ_FLAG: Record<Exclude<FlagForm, 'pairs'>, (text: string, flag: string) => unknown> = {
  text: (text) => text,
  // A number when it reads as one; otherwise the text, which the schema refuses by name.
  number: (text) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text),
  json: parseJsonObject,
  'factor-max': parseFactorMax,
  switch: () => true,
};

/** The flags given, as the fields' values (not yet validated); a required field's missing flag is an input error naming it. */
export function readFlaggedFields(flagged: readonly FlaggedField[], values: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const { field, spec, flag } of flagged) {
    const value = values[flag.name];
    if (value === undefined || value === false) {
      if (spec.required) throw new InvalidInputError(`--${flag.name}`, 'is required');
      continue;
    }
    input[field] = flag.form === 'pairs' ? parsePairs(value as string[], `--${flag.name}`) : READ_FLAG[flag.form ?? 'text'](String(value), `--${flag.name}`);
  }
  return input;
}

/**
 * Runs `validate` and names its input errors by flag (`--interval`) rather than by field. A part
 * of a flag's value keeps its name: `--backoff (factor)`. `extra` names the paths that are not a
 * monitor field's, most specific first (`{'request.body': '--body', source: 'SOURCE'}`).
 */
export function withFlagNames<T>(flagged: readonly FlaggedField[], validate: () => T, extra: Record<string, string> = {}): T {
  try {
    return validate();
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const name = flagNameOf(error.path.map(String), flagged, extra);
    throw name === undefined ? error : error.at(name);
  }
}

function flagNameOf(path: readonly string[], flagged: readonly FlaggedField[], extra: Record<string, string>): string | undefined {
  const named = (name: string, rest: readonly string[]) => (rest.length > 0 ? `${name} (${rest.join('.')})` : name);
  for (const [prefix, name] of Object.entries(extra)) {
    const parts = prefix.split('.');
    if (parts.every((part, i) => path[i] === part)) return named(name, path.slice(parts.length));
  }
  const field = flagged.find((entry) => entry.field === path[0]);
  return field ? named(`--${field.flag.name}`, path.slice(1)) : undefined;
}

/** `1.5,5m` as `{factor: 1.5, max: "5m"}`; the schema checks the values. */
function parseFactorMax(text: string, flag: string): { factor: number; max: string } {
  const match = /^\s*([\d.]+)\s*,\s*(\S+)\s*$/.exec(text);
  if (!match || !Number.isFinite(Number(match[1]))) throw new InvalidInputError(flag, `${JSON.stringify(text)} is not FACTOR,MAX; use e.g. 1.5,5m`);
  return { factor: Number(match[1]), max: match[2]! };
}

/** A flag's JSON text as a value, or an input error naming the flag. */
export function parseJsonFlag(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError(flag, `is not valid JSON: ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`);
  }
}

/** A flag's JSON text as an object, or an input error naming the flag. */
export function parseJsonObject(text: string, flag: string): Record<string, unknown> {
  const value = parseJsonFlag(text, flag);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(flag, 'must be a JSON object, e.g. {"customer":"acme"}');
  }
  return value as Record<string, unknown>;
}

/** Where the text of a help line starts, and the width it wraps at. */
const HELP_INDENT = 24;
const HELP_WIDTH = 100;

/** `  --interval DURATION   time between polls, e.g. 30s, 1m (default: JOBWATCH_DEFAULT_INTERVAL, 60s)`, wrapped. */
export function fieldHelpLine({ flag, spec }: FlaggedField): string {
  const fallback = spec.defaultEnv ? describeEnvDefault(spec.defaultEnv) : spec.default?.replaceAll('`', '');
  return helpLine(`--${flag.name}${flag.value ? ` ${flag.value}` : ''}`, `${flag.help}${fallback ? ` (default: ${fallback})` : ''}`);
}

/** One flag's help: its usage, then its text from HELP_INDENT on, wrapped at HELP_WIDTH. */
export function helpLine(usage: string, text: string): string {
  const start = `  ${usage}`;
  // The first line ends in spaces until its first word; a word that would pass the width starts a new line.
  const lines = [start.length < HELP_INDENT ? start.padEnd(HELP_INDENT) : `${start}  `];
  for (const word of text.split(' ')) {
    const last = lines[lines.length - 1]!;
    if (last.endsWith(' ')) lines[lines.length - 1] = last + word;
    else if (last.length + 1 + word.length > HELP_WIDTH) lines.push(' '.repeat(HELP_INDENT) + word);
    else lines[lines.length - 1] = `${last} ${word}`;
  }
  return lines.join('\n');
}
