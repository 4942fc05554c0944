#!/usr/bin/env node
// The `jobwatch` command. Commands that serve (worker, server, demo-api) never resolve; the rest
// exit with their code, without waiting for idle sockets to close.
import { main } from './main.ts';

process.exit(await main(process.argv.slice(2)));
