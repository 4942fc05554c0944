#!/usr/bin/env node
// Runs the TypeScript CLI directly (through tsx), so `npx jobwatch` works right after `npm ci`
// with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// Commands that serve (worker, demo-api) never resolve; the rest exit with their code.
process.exit(code);
