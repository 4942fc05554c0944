import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addKey } from '../../src/access/keys-edit.ts';
import { parseKeysText } from '../../src/access/keys-file.ts';
import { editKeysFile, readKeysFile, writeKeysFile } from '../../src/keys/keys-file-write.ts';
import { runCli, spawnCli } from '../helpers/workers.ts';

/**
 * `jobwatch keys create` and `revoke` read the keys file, change it and write it whole; the file's
 * lock keeps two of them run at once from writing over each other's change (a key created and
 * printed, then gone from the file).
 */
const folder = mkdtempSync(join(tmpdir(), 'jobwatch-keys-lock-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const namesIn = (path: string) => parseKeysText(readFileSync(path, 'utf8'), path).entries.map((entry) => entry.name).sort();
const create = (path: string, name: string) => ['keys', 'create', name, '--scopes', 'read', '--namespace', 'team', '--file', path];

describe('the keys file lock', () => {
  it('keys create waits while another edit holds the lock, then adds its key to what that edit wrote', async () => {
    const path = join(folder, 'waits.json');
    const lock = join(folder, '.waits.json.lock');
    writeFileSync(lock, '');
    const blocked = spawnCli(create(path, 'second'), {});
    const exited = new Promise<number | null>((resolve) => blocked.on('close', resolve));
    let done = false;
    void exited.then(() => (done = true));
    // A yardstick of progress, not of time: the same command on another file, started after it, runs to its end twice.
    for (const round of [1, 2]) expect((await runCli(create(join(folder, `yardstick-${round}.json`), 'other'), {})).code).toBe(0);
    expect(done, 'keys create went on while the lock was held').toBe(false);
    expect(existsSync(path)).toBe(false);

    // The other edit, under the lock it holds: it writes its key, then lets go.
    writeKeysFile(path, addKey(readKeysFile(path), { name: 'x', scopes: 'read', namespaces: ['team'] }, Date.now()).entries);
    rmSync(lock);

    expect(await exited).toBe(0);
    expect(namesIn(path)).toEqual(['second', 'x']);
    expect(existsSync(lock)).toBe(false);
  });

  it('keys create run many at once: every key printed is in the file', async () => {
    const path = join(folder, 'many.json');
    const names = Array.from({ length: 6 }, (_, index) => `key-${index}`);
    const results = await Promise.all(names.map((name) => runCli(create(path, name), {})));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(new Set(results.map((result) => result.stdout.trim())).size).toBe(names.length);
    expect(namesIn(path)).toEqual(names);
  });

  it('a lock that is never let go: a one-line error naming it, the file unchanged, the lock left for a person to remove', async () => {
    const path = join(folder, 'stale.json');
    await editKeysFile(path, (table) => addKey(table, { name: 'kept', scopes: 'read', namespaces: ['team'] }, Date.now()));
    const before = readFileSync(path, 'utf8');
    const lock = join(folder, '.stale.json.lock');
    writeFileSync(lock, '');
    await expect(editKeysFile(path, (table) => addKey(table, { name: 'lost', scopes: 'read', namespaces: ['team'] }, Date.now()), 100))
      .rejects.toThrow(`JOBWATCH_KEYS_FILE ${path}: another jobwatch keys command has held ${lock} for 0.1 s; if none is running, remove that file`);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(existsSync(lock)).toBe(true);
    rmSync(lock);
    await editKeysFile(path, (table) => addKey(table, { name: 'after', scopes: 'read', namespaces: ['team'] }, Date.now()));
    expect(namesIn(path)).toEqual(['after', 'kept']);
  });

  it('an edit that fails (a name taken) writes nothing and lets the lock go', async () => {
    const path = join(folder, 'taken.json');
    expect((await runCli(create(path, 'same'), {})).code).toBe(0);
    const before = readFileSync(path, 'utf8');
    const again = await runCli(create(path, 'same'), {});
    expect(again.code).not.toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(existsSync(join(folder, '.taken.json.lock'))).toBe(false);
    expect((await runCli(['keys', 'revoke', 'same', '--file', path], {})).code).toBe(0);
    expect(namesIn(path)).toEqual([]);
  });
});
