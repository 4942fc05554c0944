import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatKeys, NO_KEYS, parseKeysText, type KeyEntry, type KeyTable } from '../access/keys-file.ts';
import { ConfigError, coerceError } from '../errors/errors.ts';

/** A new keys file's mode: it holds no key, but what each key may do is the deployment's business. */
export const KEYS_FILE_MODE = 0o600;

/** The keys file's table, or no keys when there is no file yet (what `keys create` starts from). */
export function readKeysFile(path: string, origin = `JOBWATCH_KEYS_FILE ${path}`): KeyTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return NO_KEYS;
    throw new ConfigError(`${origin}: cannot be read (${code ?? coerceError(error).message})`);
  }
  return parseKeysText(text, origin);
}

/** How long an edit waits for another's lock (an edit holds it for milliseconds), and how often it looks. */
const LOCK_WAIT_MS = 10_000;
const LOCK_RETRY_MS = 25;

/**
 * Reads the keys file, edits its table and writes it back, holding the file's lock
 * (`.{name}.lock` beside it, made exclusively) from the read to the write, and answers what `edit`
 * made. Two `keys create` run at once each add their key, where without the lock the second write
 * would drop the first's key. A lock left by a process that died stays, as git's index.lock does,
 * and the error names it: deciding from its age that it is stale could break a live one's.
 */
export async function editKeysFile<Edit extends { entries: readonly KeyEntry[] }>(
  path: string, edit: (table: KeyTable) => Edit, lockWaitMs = LOCK_WAIT_MS,
): Promise<Edit> {
  const lock = await takeLock(path, lockWaitMs);
  try {
    const edited = edit(readKeysFile(path));
    writeKeysFile(path, edited.entries);
    return edited;
  } finally {
    unlinkSync(lock);
  }
}

async function takeLock(path: string, waitMs: number): Promise<string> {
  const lock = join(dirname(path), `.${basename(path)}.lock`);
  for (const giveUpAt = Date.now() + waitMs; ;) {
    try {
      closeSync(openSync(lock, 'wx', KEYS_FILE_MODE));
      return lock;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The lock is made where the file is written: a folder that is missing or read-only is the file's trouble.
      if (code !== 'EEXIST') throw new ConfigError(`JOBWATCH_KEYS_FILE ${path}: cannot be written (${code ?? coerceError(error).message})`);
      if (Date.now() >= giveUpAt) {
        throw new ConfigError(`JOBWATCH_KEYS_FILE ${path}: another jobwatch keys command has held ${lock} for ${waitMs / 1000} s; if none is running, remove that file`);
      }
      await sleep(LOCK_RETRY_MS);
    }
  }
}

/**
 * Writes the keys file whole, atomically: a temporary file beside it, flushed, then renamed over
 * it, so that a server reloading it never reads half a file. A new file gets mode 0600; a file
 * that exists keeps its mode.
 */
export function writeKeysFile(path: string, entries: readonly KeyEntry[]): void {
  const mode = modeOf(path) ?? KEYS_FILE_MODE;
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx', mode);
    writeSync(fd, formatKeys(entries));
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temporary);
    } catch {
      // Never made, or already renamed: nothing to remove.
    }
    throw new ConfigError(`JOBWATCH_KEYS_FILE ${path}: cannot be written (${(error as NodeJS.ErrnoException).code ?? coerceError(error).message})`);
  }
}

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}
