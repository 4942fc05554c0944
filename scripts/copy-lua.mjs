// The build's second step (`npm run build`): tsc emits only JavaScript, so the Lua scripts the
// Redis adapters read at start (src/gate/*.lua, src/queue/*.lua, src/quotas/*.lua: every .lua under src/) are copied to the same place under dist/.
// Plain Node, so that it runs wherever npm does, without a shell's cp or a transpiler.
import { cpSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src', import.meta.url));
const dist = fileURLToPath(new URL('../dist', import.meta.url));
cpSync(src, dist, { recursive: true, filter: (path) => statSync(path).isDirectory() || path.endsWith('.lua') });
