import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDocumentation } from '../helpers/docs.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { rowsById } from '../helpers/results.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited } from '../helpers/workers.ts';

/**
 * The package as a user gets it: `npm pack`, then the tarball installed into new projects, which
 * run the code the docs show (the README's producer, docs/library.md) against real Redis and Postgres.
 */
const run = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ourPackage = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

/** The files the docs show under `<!-- consumer-test: NAME -->`, by name. */
function readmeFiles(): Map<string, string> {
  const blocks = [...readDocumentation().matchAll(/<!-- consumer-test: (\S+) -->\n```\w*\n([\s\S]*?)```/g)];
  return new Map(blocks.map(([, name, code]) => [name!, code!]));
}

async function npm(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** A new project with the tarball (and any other packages) installed. */
async function newProject(root: string, name: string, tarball: string, extra: string[] = []): Promise<string> {
  const dir = join(root, name);
  await run('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  await npm(dir, ['install', tarball, ...extra]);
  return dir;
}

let root: string;
let tarball: string;
let iso: Isolated;
let statusServer: StatusServer;
const files = readmeFiles();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'jobwatch-consumer-'));
  // dist/ is fresh: the global setup built it. --ignore-scripts skips building it again.
  const packed = JSON.parse(await npm(PROJECT_ROOT, ['pack', '--json', '--ignore-scripts', '--pack-destination', root])) as { filename: string }[];
  tarball = join(root, packed[0]!.filename);
  iso = await createIsolation({ migrate: false });
  statusServer = await startStatusServer();
}, 120_000);

afterAll(async () => {
  await statusServer?.close();
  await iso?.cleanup();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships dist (with the Lua scripts the build copies), migrations, README and LICENSE, and no sources or tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const paths = stdout.trim().split('\n').map((path) => path.replace(/^package\//, ''));
    expect(paths).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/cli/bin.js', 'dist/gate/admit.lua', 'dist/gate/observe.lua', 'dist/queue/existing-keys.lua', 'dist/quotas/reserve-start.lua', 'migrations/meta/_journal.json', 'README.md', 'LICENSE', 'package.json']));
    expect(paths.filter((path) => /^(src|test|bench|workers)\//.test(path) || path.endsWith('.tsbuildinfo'))).toEqual([]);
  });

  it('code from the docs in a plain Node ESM app: a producer starts a monitor, a worker from node_modules/.bin records its row', async () => {
    const app = await newProject(root, 'plain-app', tarball);
    // Runtime dependencies only: no transpiler comes with jobwatch.
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/typescript'))).toBe(false);
    const bin = join(app, 'node_modules/.bin/jobwatch');
    const env = { PATH: process.env.PATH ?? '', ...iso.env(), JOB_SERVICE_URL: statusServer.url };

    const migrated = await run(bin, ['migrate'], { cwd: app, env });
    expect(migrated.stdout).toContain('migrations applied');

    statusServer.script('export-42', [{ status: 'Processing' }, { status: 'Completed' }]);
    writeFileSync(join(app, 'producer.mjs'), files.get('producer.mjs')!);
    const worker: ChildProcess = spawn(bin, ['worker'], { cwd: app, env, stdio: 'ignore' });
    try {
      const produced = await run(process.execPath, ['producer.mjs', 'export-42'], { cwd: app, env });
      expect(produced.stdout.trim()).toBe('watching export-42');

      const row = await waitFor(async () => (await rowsById(iso)).get('export-42'), { timeoutMs: 30_000, what: 'the row of export-42' });
      expect(row).toMatchObject({ outcome: 'completed', jobStatus: 'Completed', polls: 2, metadata: { requestedBy: 'producer.mjs' } });
      const status = await run(bin, ['status', 'export-42'], { cwd: app, env });
      expect(JSON.parse(status.stdout)).toMatchObject({ state: 'ended', outcome: 'completed', persisted: true });
    } finally {
      worker.kill('SIGTERM');
      expect(await exited(worker)).toBe(0);
    }

    // (c) CommonJS: require(esm), as the README says.
    writeFileSync(join(app, 'require.cjs'), files.get('require.cjs')!);
    const required = await run(process.execPath, ['require.cjs'], { cwd: app });
    expect(required.stdout.trim()).toBe('function 300000');
  }, 180_000);

  it('code from the docs in a strict TypeScript app (NodeNext, skipLibCheck: false) type-checks', async () => {
    const dev = ourPackage.devDependencies;
    const app = await newProject(root, 'ts-app', tarball, [`typescript@${dev.typescript}`, `@types/node@${dev['@types/node']}`]);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', skipLibCheck: false, noEmit: true, types: ['node'] },
      include: ['*.ts'],
    }));
    writeFileSync(join(app, 'monitors.ts'), files.get('monitors.ts')!);
    const checked = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { cwd: app }).catch((error: { stdout: string }) => error);
    expect(checked.stdout).toBe('');

    // And the check can fail: a wrong field is an error, so the types are really read.
    writeFileSync(join(app, 'wrong.ts'), "import type { MonitorInput } from 'jobwatch';\nexport const input: MonitorInput = { jobId: 1 };\n");
    const wrong = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { cwd: app }).catch((error: { stdout: string }) => error);
    expect(wrong.stdout).toMatch(/^wrong\.ts\(2,\d+\): error TS2322: Type .number. is not assignable to type .string./);
  }, 180_000);
});
