import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidInputError } from '../errors/errors.ts';
import { formatDuration, parseDuration } from '../time/durations.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
type ParsedFlags<T extends Options> = ReturnType<typeof parseArgs<{ options: T & { help: { type: 'boolean'; short: 'h' } }; allowPositionals: boolean; strict: true }>>;

/**
 * node:util's parseArgs, with its errors turned into one line that names the flag. Unknown flags
 * and missing values are input errors (exit code 2), like any other bad input.
 */
export function parseFlags<T extends Options>(args: string[], options: T, command: string, positionals = 0): ParsedFlags<T> {
  try {
    const parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) {
      throw new InvalidInputError(command, `unexpected argument ${parsed.positionals[positionals]}; see jobwatch ${command} --help`);
    }
    return parsed;
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? command;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new InvalidInputError(flag, `unknown option; see jobwatch ${command} --help`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new InvalidInputError(flag, 'needs a value');
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new InvalidInputError(command, `unexpected argument; see jobwatch ${command} --help`);
    throw new InvalidInputError(command, message.split('\n')[0] ?? message);
  }
}

/** A whole number flag within limits, or an input error naming the flag. */
export function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new InvalidInputError(name, `${JSON.stringify(value)} is not a whole number`);
  const number = Number(value);
  if (number < min || number > max) throw new InvalidInputError(name, `${number} is out of range; use ${min} to ${max}`);
  return number;
}

/** A duration flag (`500ms`, `30s`, `5m`) within limits, in milliseconds, or an input error naming the flag. */
export function durationFlag(name: string, value: string | undefined, minMs: number, maxMs: number): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidInputError(name, `${JSON.stringify(value)} is not a duration, e.g. 500ms, 30s, 5m`);
  if (ms < minMs || ms > maxMs) throw new InvalidInputError(name, `${value} is out of range; use ${formatDuration(minMs)} to ${formatDuration(maxMs)}`);
  return ms;
}

/** Prints one JSON document on one line: what scripts read from jobwatch's commands. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printHelp(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

/** `--param owner=acme --param repo=api` as `{owner: "acme", repo: "api"}`; the source's URL checks the values. */
export function parsePairs(texts: readonly string[], flag: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const text of texts) {
    const at = text.indexOf('=');
    if (at <= 0) throw new InvalidInputError(flag, `${JSON.stringify(text)} is not KEY=VALUE; use e.g. ${flag} owner=acme`);
    const key = text.slice(0, at);
    if (Object.hasOwn(pairs, key)) throw new InvalidInputError(flag, `gives "${key}" twice`);
    pairs[key] = text.slice(at + 1);
  }
  return pairs;
}
