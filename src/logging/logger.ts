import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/config.ts';

export type { Logger };

/** Paths pino blanks out wherever they appear, as a second line of defence against leaked secrets. */
const REDACT_PATHS = ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'];

/** One JSON line per event; pretty, human-readable lines when the output is a terminal. */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  options: { pretty?: boolean; name?: string; destination?: DestinationStream } = {},
): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  return pino({
    name: options.name ?? 'jobwatch',
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  }, options.destination);
}

/** A connection URL safe to print: the password, if any, replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}
