import type { Config } from '../../config/config.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import { durationFlag, parseFlags, printHelp, printJson } from '../flags.ts';
import { alignColumns } from '../table.ts';

export const keysHelp = `Usage: jobwatch keys create NAME --scopes SCOPES --namespace NS [--namespace NS]... [--expires-in D | --expires-at ISO]
       jobwatch keys list [--json]
       jobwatch keys revoke NAME

Manages the API keys of the keys file (JOBWATCH_KEYS_FILE, or --file). The file holds each key's
name, namespaces, scopes and expiry, and only a hash of the key; servers and workers reload it
when it changes.

\`create\` adds a key and prints it on stdout, alone and once: it cannot be shown again. It
creates the file (mode 0600) if there is none.
\`list\` prints each key's name, namespaces, scopes, expiry and last use (from Redis), never a key.
\`revoke\` removes a key; servers stop accepting it as soon as they reload the file.

  --scopes SCOPES         comma-separated: read, start, push, cancel, admin
  --namespace NS          a namespace the key may act in; repeat it for more, or give '*' for every one
  --expires-in D          the key stops working after this long, e.g. 30d, 12h
  --expires-at ISO        the key stops working at this time, e.g. 2027-06-30T00:00:00Z
  --file PATH             the keys file (default: JOBWATCH_KEYS_FILE)
  --json                  list: one JSON line instead of a table`;

/** Longest --expires-in: ten years; a key that should outlive that needs no expiry. */
const MAX_EXPIRES_IN_MS = 3_650 * 86_400_000;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

const FLAGS = {
  scopes: { type: 'string' },
  namespace: { type: 'string', multiple: true },
  'expires-in': { type: 'string' },
  'expires-at': { type: 'string' },
  file: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function keysCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values, positionals } = parseFlags(args, FLAGS, 'keys', 2);
  if (values.help) return printHelp(keysHelp);
  const [action, name] = positionals;
  const path = () => keysFilePath(values.file, readConfig());
  if (action === 'create') {
    if (name === undefined) throw new InvalidInputError('keys create', 'needs NAME: jobwatch keys create NAME --scopes read --namespace team-a');
    return createKey(path(), name, values);
  }
  if (action === 'list') {
    if (name !== undefined) throw new InvalidInputError('keys list', `unexpected argument ${name}`);
    const config = readConfig();
    return listKeys(keysFilePath(values.file, config), config, values.json ?? false);
  }
  if (action === 'revoke') {
    if (name === undefined) throw new InvalidInputError('keys revoke', 'needs NAME: jobwatch keys revoke NAME');
    return revokeKey(path(), name);
  }
  throw new InvalidInputError('keys', `${action === undefined ? 'needs an action' : `unknown action ${action}`}; use jobwatch keys create, list or revoke`);
}

function keysFilePath(flag: string | undefined, config: Config): string {
  const path = flag ?? config.keysFile;
  if (path === undefined) throw new InvalidInputError('--file', 'no keys file: give --file PATH, or set JOBWATCH_KEYS_FILE');
  return path;
}

async function createKey(path: string, name: string, values: { scopes?: string; namespace?: string[]; 'expires-in'?: string; 'expires-at'?: string }): Promise<number> {
  if (values.scopes === undefined) throw new InvalidInputError('--scopes', 'is required: a comma-separated list of read, start, push, cancel, admin');
  const now = Date.now();
  const expiresAt = expiryOf(values, now);
  const [{ addKey }, { editKeysFile }] = await Promise.all([import('../../access/keys-edit.ts'), import('../../keys/keys-file-write.ts')]);
  const scopes = values.scopes;
  const { key, entry } = await editKeysFile(path, (table) => addKey(table, { name, scopes, namespaces: values.namespace ?? [], ...(expiresAt === undefined ? {} : { expiresAt }) }, now));
  const where = entry.namespaces === '*' ? 'every namespace' : `namespaces ${entry.namespaces.join(', ')}`;
  process.stderr.write(`jobwatch: added key ${name} (${entry.scopes.join(', ')} on ${where}${entry.expiresAt ? `, until ${entry.expiresAt}` : ''}) to ${path}; ` +
    'the key is printed once, on stdout: keep it now, it cannot be shown again\n');
  process.stdout.write(`${key}\n`);
  return 0;
}

function expiryOf(values: { 'expires-in'?: string; 'expires-at'?: string }, now: number): number | undefined {
  if (values['expires-in'] !== undefined && values['expires-at'] !== undefined) throw new InvalidInputError('--expires-in', 'give --expires-in or --expires-at, not both');
  const expiresIn = durationFlag('--expires-in', values['expires-in'], 60_000, MAX_EXPIRES_IN_MS);
  if (expiresIn !== undefined) return now + expiresIn;
  const at = values['expires-at'];
  if (at === undefined) return undefined;
  if (!ISO_WITH_ZONE.test(at) || Number.isNaN(Date.parse(at))) throw new InvalidInputError('--expires-at', `${JSON.stringify(at)} is not an ISO time with a zone, e.g. 2027-06-30T00:00:00Z`);
  return Date.parse(at);
}

async function revokeKey(path: string, name: string): Promise<number> {
  const [{ removeKey }, { editKeysFile }] = await Promise.all([import('../../access/keys-edit.ts'), import('../../keys/keys-file-write.ts')]);
  // A missing file has no keys: removeKey refuses the name, and nothing is written.
  await editKeysFile(path, (table) => ({ entries: removeKey(table, name) }));
  process.stderr.write(`jobwatch: removed key ${name} from ${path}; servers refuse it once they have reloaded the file (within a second or two)\n`);
  return 0;
}

async function listKeys(path: string, config: Config, json: boolean): Promise<number> {
  const [{ openKeysForList }, { expiryOf: expiryMs }] = await Promise.all([import('../../keys/keys-list.ts'), import('../../access/keys-file.ts')]);
  const { table, lastUse } = await openKeysForList(path, config);
  const now = Date.now();
  const rows = table.entries.map((entry) => {
    const expiry = expiryMs(entry);
    return {
      name: entry.name,
      namespaces: entry.namespaces === '*' ? ['*'] : [...entry.namespaces],
      scopes: [...entry.scopes],
      expiresAt: entry.expiresAt ?? null,
      expired: expiry !== undefined && expiry <= now,
      lastUsedAt: lastUse === undefined ? undefined : lastUse[entry.name] === undefined ? null : new Date(lastUse[entry.name]!).toISOString(),
    };
  });
  if (lastUse === undefined) process.stderr.write('jobwatch: Redis did not answer, so last use is unknown\n');
  if (json) {
    printJson(rows.map(({ lastUsedAt, ...row }) => ({ ...row, lastUsedAt: lastUsedAt ?? null })));
    return 0;
  }
  const cells = rows.map((row) => [
    row.name, row.namespaces.join(','), row.scopes.join(','), row.expiresAt === null ? 'never' : `${row.expired ? 'expired ' : ''}${row.expiresAt}`,
    row.lastUsedAt === undefined ? 'unknown' : row.lastUsedAt ?? 'never',
  ]);
  process.stdout.write(`${alignColumns(['NAME', 'NAMESPACES', 'SCOPES', 'EXPIRES', 'LAST USE'], cells, 40)}\n`);
  return 0;
}
