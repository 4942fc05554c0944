import postgres from 'postgres';
import { openPostgres } from '../../src/db/database.ts';
import { uniqueName, withDatabase } from '../helpers/isolation.ts';
import { describePersistence } from '../helpers/persistence-suite.ts';
import { TEST_POSTGRES_URL } from '../helpers/services.ts';

describePersistence('Postgres (postgres.js)', async () => {
  const name = uniqueName('persist');
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const handle = openPostgres(withDatabase(TEST_POSTGRES_URL, name), { max: 2 });
  return {
    ...handle,
    async close() {
      await handle.close();
      const dropper = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
});
