import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's documentation: README.md, CONTRIBUTING.md and docs/*.md. Tests that run code the
 * docs show find it here by its marker, not by page, so a block keeps working when it moves.
 */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Paths of the documentation pages, relative to the project root, README.md first. */
export function documentationPaths(): string[] {
  const pages = readdirSync(join(PROJECT_ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort();
  return ['README.md', 'CONTRIBUTING.md', ...pages.map((name) => `docs/${name}`)];
}

export function readPage(path: string): string {
  return readFileSync(join(PROJECT_ROOT, path), 'utf8');
}

/** Every page's text, one after another. */
export function readDocumentation(): string {
  return documentationPaths().map(readPage).join('\n');
}
