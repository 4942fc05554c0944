import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { parseKeysText, type KeyTable } from '../access/keys-file.ts';
import { ConfigError, coerceError } from '../errors/errors.ts';

/**
 * The keys file as the server and the workers' metrics see it: read at start, and read again when
 * it changes, without a restart. Two signals, because each misses something on its own:
 * - fs.watch on the file's folder (not the file: `keys create` replaces it by a rename, and a
 *   watch on the old file would go deaf), which sees a change at once where the platform tells;
 * - a stat of the file at most once a second on lookup, for file systems that never tell
 *   (network mounts, some containers' volumes).
 * A new file that does not parse keeps the last good table, with one error line; so does a
 * removed file. Only a file missing or bad at start is an error (a ConfigError naming the path).
 */
export interface KeyStore {
  /** The current keys, re-read first when the file may have changed. */
  current(): KeyTable;
  close(): void;
}

/** How often, at most, a lookup looks at the file's size and time. */
export const KEYS_FILE_CHECK_EVERY_MS = 1_000;

export interface KeyStoreOptions {
  logger: Logger;
  /** @defaultValue Date.now */
  clock?: () => number;
}

export function openKeyStore(path: string, options: KeyStoreOptions): KeyStore {
  const { logger } = options;
  const clock = options.clock ?? Date.now;
  const origin = `JOBWATCH_KEYS_FILE ${path}`;
  const first = readAtStart(path, origin);
  let table = parseKeysText(first.text, origin);
  // What was last read, good or bad: the same text or the same stat is not read or logged twice.
  let lastText = first.text;
  let lastStat = first.stat;
  let checkedAt = clock();

  const reload = (force: boolean) => {
    checkedAt = clock();
    const stat = statOf(path);
    if (stat === undefined) {
      if (lastStat !== 'missing') logger.error({ path }, 'keys file is gone; keeping the keys last read');
      lastStat = 'missing';
      return;
    }
    if (!force && stat === lastStat) return;
    lastStat = stat;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      logger.error({ path, err: coerceError(error).message }, 'keys file cannot be read; keeping the keys last read');
      return;
    }
    if (text === lastText) return;
    lastText = text;
    try {
      table = parseKeysText(text, origin);
      logger.info({ path, keys: table.entries.length }, 'keys file reloaded');
    } catch (error) {
      logger.error({ reason: coerceError(error).message }, 'keys file not reloaded: keeping the keys last read');
    }
  };

  const watcher = watchFolder(path, () => reload(true), logger);
  return {
    current() {
      if (clock() - checkedAt >= KEYS_FILE_CHECK_EVERY_MS) reload(false);
      return table;
    },
    close() {
      watcher?.close();
    },
  };
}

function readAtStart(path: string, origin: string): { text: string; stat: string } {
  try {
    const stat = statOf(path);
    return { text: readFileSync(path, 'utf8'), stat: stat ?? 'missing' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`${origin}: no such file; create it with \`jobwatch keys create NAME --scopes ... --namespace ...\``);
    throw new ConfigError(`${origin}: cannot be read (${code ?? coerceError(error).message})`);
  }
}

/** The file's identity and version as the file system shows it, or undefined when it is not there. */
function statOf(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return undefined;
  }
}

function watchFolder(path: string, changed: () => void, logger: Logger): FSWatcher | undefined {
  const name = basename(path);
  try {
    const watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
      // Some platforms give no file name: any change in the folder may be ours.
      if (filename === null || filename === name) changed();
    });
    watcher.on('error', (error) => logger.warn({ err: coerceError(error).message }, 'keys file watch failed; the file is still checked once a second'));
    return watcher;
  } catch (error) {
    logger.warn({ err: coerceError(error).message }, 'keys file cannot be watched; it is checked once a second instead');
    return undefined;
  }
}
