import { defineConfig } from 'vitest/config';

/**
 * Browser tests (`npm run test:e2e`): headless Chromium from the system (Debian's `chromium`
 * package) driven by playwright-core. Kept apart from `npm test`, which needs no browser.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 90_000,
    hookTimeout: 90_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest-e2e.json' },
  },
});
