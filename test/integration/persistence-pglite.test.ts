import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../../src/db/database.ts';
import { describePersistence } from '../helpers/persistence-suite.ts';

describePersistence('PGlite (embedded)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobwatch-pglite-'));
  const handle = await openPglite(dir);
  return {
    ...handle,
    async close() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
