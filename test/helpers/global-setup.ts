import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertServicesReachable } from './services.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Tests that start `jobwatch` processes run the compiled CLI in dist/, the code users run. It is
 * rebuilt from src/ here (incrementally), so an edit is never tested against a stale build.
 */
function buildPackage(): void {
  // The two steps of `npm run build`: compile, then copy the Lua scripts beside the compiled code.
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/copy-lua.mjs'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
}

export default async function setup(): Promise<void> {
  buildPackage();
  await assertServicesReachable();
}
