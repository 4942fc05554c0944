import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/workers.ts';

/**
 * The compiled CLI loads only what a command uses, and answers `--help` and bad flags before it
 * reads the configuration. Which packages a run loaded is told by a module resolve hook, put in
 * front of the CLI with `--import`, that prints each package the first time it is resolved.
 */
const run = promisify(execFile);

const REPORT_PACKAGES = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
  const seen = new Set();
  export async function resolve(specifier, context, next) {
    const result = await next(specifier, context);
    const name = /node_modules\\\\/((?:@[^/]+\\\\/)?[^/]+)/.exec(result.url)?.[1];
    if (name && !seen.has(name)) { seen.add(name); process.stderr.write('package-loaded ' + name + '\\\\n'); }
    return result;
  }\`));
`;

interface Run { code: number; stdout: string; stderr: string; packages: string[] }

async function jobwatch(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const hook = `data:text/javascript,${encodeURIComponent(REPORT_PACKAGES)}`;
  const result = await run(process.execPath, ['--import', hook, CLI, ...args], { env: { PATH: process.env.PATH, ...env } })
    .then((done) => ({ ...done, code: 0 }))
    .catch((failed: { code: number; stdout: string; stderr: string }) => failed);
  const lines = result.stderr.split('\n');
  return {
    code: result.code,
    stdout: result.stdout,
    stderr: lines.filter((line) => line && !line.startsWith('package-loaded ')).join('\n'),
    packages: lines.filter((line) => line.startsWith('package-loaded ')).map((line) => line.slice('package-loaded '.length)),
  };
}

/** An environment that fails validation: a command that read it would say so instead. */
const BAD_ENV = { REDIS_URL: 'not a url', JOBWATCH_CONCURRENCY: 'lots' };
const HEAVY = ['bullmq', 'ioredis', 'hono', '@hono/node-server', '@bull-board/api', '@bull-board/hono', 'drizzle-orm', 'postgres', 'undici', '@electric-sql/pglite'];

describe('the jobwatch command starts lean', () => {
  it('--help loads no package at all', async () => {
    const help = await jobwatch(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: jobwatch <command>');
    expect(help.packages).toEqual([]);
  });

  it.each(['enqueue', 'call', 'worker', 'server', 'status', 'migrate', 'quickstart', 'watch', 'top'])('%s --help answers before the configuration is read, loading neither BullMQ nor the HTTP stack', async (command) => {
    const help = await jobwatch([command, '--help'], BAD_ENV);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain(`Usage: jobwatch ${command}`);
    expect(help.packages.filter((name) => HEAVY.includes(name))).toEqual([]);
  });

  it('a bad flag answers before the configuration is read: one line naming the flag, exit 2', async () => {
    const bad = await jobwatch(['enqueue', '--job-id', 'a', '--bogus'], BAD_ENV);
    expect(bad).toMatchObject({ code: 2, stderr: 'jobwatch: --bogus: unknown option; see jobwatch enqueue --help' });
    expect(bad.packages.filter((name) => HEAVY.includes(name))).toEqual([]);
  });

  it('past the flags, the configuration is read and a bad one is named', async () => {
    const bad = await jobwatch(['enqueue', '--job-id', 'a', '--status-url', 'http://127.0.0.1:9/{jobId}'], BAD_ENV);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^jobwatch: (REDIS_URL|JOBWATCH_CONCURRENCY)/);
  });

  it('a worker without --metrics-port never loads the HTTP server stack, nor undici before its first status call', async () => {
    // The worker stops at its first check (no Redis on port 9), after its modules are loaded.
    const worker = await jobwatch(['worker'], { REDIS_URL: 'redis://127.0.0.1:9', DATABASE_URL: 'postgres://postgres@127.0.0.1:9/x' });
    expect(worker.code).not.toBe(0);
    expect(worker.packages).toContain('bullmq');
    expect(worker.packages.filter((name) => name === 'hono' || name.startsWith('@bull-board') || name.startsWith('@hono'))).toEqual([]);
    // undici waits for the first HTTP status call (bench row 9e: an idle worker's memory).
    expect(worker.packages).not.toContain('undici');
  });
});
