import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Imports point down: a folder of src/ may import from its own folder and from lower layers only.
 * Folders in one layer are adapters of different outside systems and never import each other, so
 * that, say, the BullMQ code knows nothing of Postgres; the wiring layer composes them.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'time', 'json'], // leaf helpers: typed errors, durations and timeouts, bounded JSON reading of outside input
  ['monitor'], // the domain: context, input, readings, outcomes, decisions, the poll observer, the request gate's rules (monitor/gate/)
  ['sources'], // the domain of named status sources: URL templates, mappings, the long-running-operation conventions, the sources file
  ['access'], // who may do what: principals (keys' names, namespaces and scopes) and quota limits
  ['config'], // one validated config object
  ['tracing'], // OpenTelemetry traces: the seam the rest uses, and the SDK it loads only when tracing is on
  ['logging'],
  ['redis'], // what the Redis adapters share: the connection and the Lua script runner
  ['status', 'queue', 'db', 'metrics', 'webhook', 'gate', 'quotas', 'keys'], // adapters: HTTP and hook status providers, BullMQ, Postgres, prom-client, webhook POSTs, the request gate and the namespaces' quotas in Redis, the keys file (with last use in Redis)
  // Services over the adapters, apart from each other: the producer API (over the queue and the
  // database), and the notification dispatcher (outbox rows in Postgres, webhook POSTs, its BullMQ queue).
  ['client', 'notifications'],
  ['http'], // the HTTP API, Bull Board and /metrics over the client
  ['demo'], // the demo job service, on the HTTP helpers
  ['wiring'], // composes adapters into the worker process, the server and the quickstart
  ['cli'], // the entry point: the jobwatch command
];
/** Files at the top of src/ are the package's entry points (index.ts, drizzle.ts): they may import anything. */
const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function layerOf(folder: string): number {
  const rank = LAYERS.findIndex((layer) => layer.includes(folder));
  if (rank < 0) throw new Error(`src/${folder}/ is in no layer: add it to LAYERS in test/unit/layers.test.ts`);
  return rank;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []);
}

/** Every relative module a file imports or re-exports, statically or with import(). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => resolve(dirname(file), specifier));
}

/** The folder right under src/ a path lies in, or undefined for a file at the top of src/. */
function folderOf(path: string): string | undefined {
  const parts = relative(SRC, path).split('/');
  return parts.length > 1 ? parts[0] : undefined;
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (from === undefined) continue;
    for (const target of importsOf(file)) {
      const to = folderOf(target);
      if (to === undefined) {
        found.push(`${relative(SRC, file)} imports the entry point ${relative(SRC, target)}`);
      } else if (to !== from && layerOf(to) >= layerOf(from)) {
        const why = layerOf(to) === layerOf(from) ? 'a folder of the same layer' : 'a higher layer';
        found.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${why})`);
      }
    }
  }
  return found;
}

describe('the import graph of src/', () => {
  it('has every folder in a layer', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    for (const folder of folders) expect(() => layerOf(folder)).not.toThrow();
  });

  it('points down only: no import runs up a layer or across to another adapter', () => {
    expect(violations()).toEqual([]);
  });

  it('sees the imports it judges (a known import is found)', () => {
    // Guards the check itself: were the pattern to stop matching, every graph would look clean.
    expect(importsOf(join(SRC, 'cli/main.ts')).map((path) => relative(SRC, path))).toContain('errors/errors.ts');
  });
});
