// Loaded with `node --import` (NODE_OPTIONS): registers hooks that write every module URL the
// process resolves to the file RECORD_IMPORTS_TO names, so a test can tell what a process loaded.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url);
