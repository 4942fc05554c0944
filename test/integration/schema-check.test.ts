import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaMissingError } from '../../src/errors/errors.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { runCli, startTestWorker } from '../helpers/workers.ts';

let iso: Isolated;

beforeAll(async () => {
  iso = await createIsolation({ migrate: false });
});

afterAll(async () => {
  await iso?.cleanup();
});

describe('a database without the schema', () => {
  it('stops a worker with a message that says to run jobwatch migrate', async () => {
    await expect(startTestWorker(iso)).rejects.toThrow(SchemaMissingError);
    await expect(startTestWorker(iso)).rejects.toThrow(/run `jobwatch migrate`/);
  });

  it('makes `jobwatch worker` exit 1 with one line', async () => {
    const result = await runCli(['worker'], iso.env());
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^jobwatch: postgres:\/\/.* has no jobwatch tables; run `jobwatch migrate` first$/);
  });

  it('is fixed by `jobwatch migrate`, which can run twice', async () => {
    expect((await runCli(['migrate'], iso.env())).code).toBe(0);
    const second = await runCli(['migrate'], iso.env());
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^migrations applied to postgres:\/\//);
    const worker = await startTestWorker(iso);
    await worker.close(1_000);
  });
});

describe('a Redis that is not there', () => {
  it('makes the CLI say how to start one', async () => {
    const result = await runCli(['status', 'x'], iso.env({ REDIS_URL: 'redis://127.0.0.1:1' }));
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^jobwatch: cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*docker compose up -d redis/);
  });
});
