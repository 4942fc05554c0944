import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';

/**
 * No Docker engine runs here, so the Dockerfile is rehearsed without one: each stage in its own
 * folder standing for its WORKDIR, its COPY and RUN steps carried out in order, with a HOME of its
 * own (so `npm cache clean` touches nobody's cache). Then the final stage's ENTRYPOINT runs the way
 * compose runs it: `--help`, and `migrate` against a real Postgres.
 */
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Stage {
  name: string;
  dir: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
}

/** Instructions as [keyword, rest], comments dropped and continued lines joined. */
function instructions(dockerfile: string): [string, string][] {
  return dockerfile.replace(/\\\n/g, ' ').split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => { const [keyword, ...rest] = line.split(/\s+/); return [keyword!.toUpperCase(), rest.join(' ')]; });
}

async function rehearse(workRoot: string): Promise<Stage[]> {
  const stages: Stage[] = [];
  for (const [keyword, rest] of instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))) {
    const stage = stages.at(-1);
    if (keyword === 'FROM') {
      expect(rest).toMatch(/^node:20-/); // the rehearsal runs on this machine's Node 20
      const dir = join(workRoot, `stage-${stages.length}`);
      mkdirSync(join(dir, '.home'), { recursive: true });
      stages.push({ name: /\bAS\s+(\S+)/i.exec(rest)?.[1] ?? String(stages.length), dir, env: {}, entrypoint: [], cmd: [] });
    } else if (!stage) {
      throw new Error(`${keyword} before FROM`);
    } else if (keyword === 'WORKDIR') {
      expect(rest).toBe('/app'); // every stage's folder stands for /app
    } else if (keyword === 'ENV') {
      const [name, value] = rest.split('=');
      stage.env[name!] = value!;
    } else if (keyword === 'COPY') {
      const from = /^--from=(\S+)\s+/.exec(rest);
      const paths = rest.replace(/^--from=\S+\s+/, '').split(/\s+/);
      const target = join(stage.dir, paths.pop()!);
      const source = from ? stages.find((s) => s.name === from[1])!.dir : ROOT;
      for (const path of paths) {
        const relative = path.replace(/^\/app\/?/, '');
        cpSync(join(source, relative), paths.length > 1 ? join(target, relative) : target, { recursive: true });
      }
    } else if (keyword === 'RUN') {
      await run('sh', ['-c', rest], { cwd: stage.dir, env: { PATH: process.env.PATH, HOME: join(stage.dir, '.home'), ...stage.env }, maxBuffer: 16 * 1024 * 1024 });
    } else if (keyword === 'ENTRYPOINT' || keyword === 'CMD') {
      stage[keyword === 'ENTRYPOINT' ? 'entrypoint' : 'cmd'] = JSON.parse(rest) as string[];
    } else if (keyword !== 'USER') {
      throw new Error(`the rehearsal does not know ${keyword}`);
    }
  }
  return stages;
}

let workRoot: string;
let stages: Stage[];
let iso: Isolated;

beforeAll(async () => {
  workRoot = mkdtempSync(join(tmpdir(), 'jobwatch-dockerfile-'));
  stages = await rehearse(workRoot);
  iso = await createIsolation({ migrate: false });
}, 240_000);

// Removing two stages' node_modules is slow on a busy machine: the default hook timeout was not enough.
afterAll(async () => {
  await iso?.cleanup();
  if (workRoot) rmSync(workRoot, { recursive: true, force: true });
}, 180_000);

describe('Dockerfile, rehearsed without an engine', () => {
  it('builds in one stage and runs from another that holds production dependencies, dist and migrations only', () => {
    expect(stages).toHaveLength(2);
    const runtime = stages[1]!;
    expect(existsSync(join(runtime.dir, 'dist/cli/bin.js'))).toBe(true);
    expect(existsSync(join(runtime.dir, 'dist/gate/admit.lua'))).toBe(true); // the build's copy step ran
    expect(existsSync(join(runtime.dir, 'migrations/meta/_journal.json'))).toBe(true);
    expect(existsSync(join(runtime.dir, 'src'))).toBe(false);
    // typescript stays: npm keeps it under --omit=dev as an optional peer of valibot (a Bull Board dependency).
    for (const devOnly of ['tsx', 'esbuild', 'vitest', 'drizzle-kit', 'pg-boss', 'playwright-core']) expect(existsSync(join(runtime.dir, 'node_modules', devOnly))).toBe(false);
    expect(existsSync(join(runtime.dir, 'node_modules/bullmq'))).toBe(true);
  });

  it('its entry point answers --help and applies the migrations, as compose runs it', async () => {
    const runtime = stages[1]!;
    const [program, ...entryArgs] = runtime.entrypoint;
    expect(program).toBe('node');
    const env = { PATH: process.env.PATH, ...runtime.env };
    const help = await run(process.execPath, [...entryArgs, ...runtime.cmd], { cwd: runtime.dir, env });
    expect(help.stdout).toContain('Usage: jobwatch <command>');
    const migrated = await run(process.execPath, [...entryArgs, 'migrate'], { cwd: runtime.dir, env: { ...env, DATABASE_URL: iso.databaseUrl } });
    expect(migrated.stdout).toContain('migrations applied');
  });
});
