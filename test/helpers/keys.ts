import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKey, type NewKeySpec } from '../../src/access/keys-edit.ts';
import { NO_KEYS, type KeyEntry } from '../../src/access/keys-file.ts';
import { writeKeysFile } from '../../src/keys/keys-file-write.ts';

/** A keys file (what JOBWATCH_KEYS_FILE names) in a folder of its own, and each new key by name. */
export interface TestKeys {
  path: string;
  key: Record<string, string>;
  remove(): void;
}

/** Writes these keys as `jobwatch keys create` would; call `remove` in the test's afterAll. */
export function writeTestKeys(specs: readonly NewKeySpec[]): TestKeys {
  const dir = mkdtempSync(join(tmpdir(), 'jobwatch-keys-'));
  const path = join(dir, 'keys.json');
  const key: Record<string, string> = {};
  let entries: KeyEntry[] = [];
  for (const spec of specs) {
    const added = addKey({ ...NO_KEYS, entries, byHash: new Map() }, spec, Date.now());
    key[spec.name] = added.key;
    entries = added.entries;
  }
  writeKeysFile(path, entries);
  return { path, key, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
