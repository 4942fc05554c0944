// Writes docs/configuration.md from the declarations of the options and monitor fields:
// `npm run docs:config`. test/unit/config-page.test.ts fails when the committed page is stale.
import { writeFileSync } from 'node:fs';
import { CONFIG_PAGE_PATH, renderConfigPage } from './config-page.ts';

writeFileSync(new URL(`../${CONFIG_PAGE_PATH}`, import.meta.url), renderConfigPage());
process.stdout.write(`wrote ${CONFIG_PAGE_PATH}\n`);
