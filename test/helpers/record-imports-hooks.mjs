import { appendFileSync } from 'node:fs';

/** Runs in the loader thread: each resolved module's URL, one a line. */
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (process.env.RECORD_IMPORTS_TO) appendFileSync(process.env.RECORD_IMPORTS_TO, `${resolved.url}\n`);
  return resolved;
}
