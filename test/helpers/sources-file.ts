import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A sources file (what JOBWATCH_SOURCES names) in a folder of its own, which `remove` deletes. */
export interface SourcesFile {
  path: string;
  remove(): void;
}

/** Writes `{ "sources": ... }` to a new temporary folder; call `remove` in the test's afterAll. */
export function writeSourcesFile(sources: Record<string, unknown>): SourcesFile {
  const dir = mkdtempSync(join(tmpdir(), 'jobwatch-sources-'));
  const path = join(dir, 'jobwatch.sources.json');
  writeFileSync(path, JSON.stringify({ sources }));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
