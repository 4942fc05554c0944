import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Debian's docker-compose validates the file without a Docker engine; CI installs it (.ci/run).
const hasCompose = spawnSync('docker-compose', ['--version']).status === 0;
if (!hasCompose && process.env.CI) throw new Error('docker-compose is not installed: apt-get install -y docker-compose');

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: unknown[];
  container_name?: string;
}

function resolvedCompose(env: Record<string, string> = {}): { services: Record<string, Service>; volumes: Record<string, unknown> } {
  const yaml = execFileSync('docker-compose', ['config'], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  // Debian's docker-compose depends on python3-yaml, so its own python can turn the YAML into JSON.
  const json = execFileSync('/usr/bin/python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: yaml, encoding: 'utf8' });
  return JSON.parse(json);
}

describe.runIf(hasCompose)('docker-compose.yml', () => {
  const compose = hasCompose ? resolvedCompose() : { services: {}, volumes: {} };

  it('runs redis, postgres, a one-shot migrate, the demo job service, workers and the server', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['demo-api', 'migrate', 'postgres', 'redis', 'server', 'worker']);
  });

  it('keeps monitors through a Redis restart and never evicts them', () => {
    const command = compose.services.redis!.command!;
    expect(command.join(' ')).toContain('--appendonly yes');
    expect(command.join(' ')).toContain('--maxmemory-policy noeviction');
    // The timer resolution and compact encoding README "Scaling" measures with.
    expect(command.join(' ')).toContain('--hz 100');
    expect(command.join(' ')).toContain('--hash-max-listpack-value 1024');
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['redis-data', 'postgres-data']));
  });

  it('starts workers only after the migration succeeded, and lets them scale', () => {
    const worker = compose.services.worker!;
    expect(worker.command).toEqual(['worker']);
    expect(worker.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    expect(worker.depends_on?.redis?.condition).toBe('service_healthy');
    expect(worker.ports).toBeUndefined();
    expect(worker.container_name).toBeUndefined();
    expect(compose.services.migrate!.command).toEqual(['migrate']);
  });

  it('points every jobwatch process at the compose Redis and Postgres', () => {
    for (const name of ['migrate', 'worker', 'server', 'demo-api']) {
      expect(compose.services[name]!.environment).toMatchObject({
        REDIS_URL: 'redis://redis:6379',
        DATABASE_URL: 'postgres://jobwatch:jobwatch@postgres:5432/jobwatch',
      });
    }
  });

  it('passes the API token to the server from the environment, never a default secret', () => {
    expect(compose.services.server!.environment!.JOBWATCH_API_TOKEN).toBe('');
    expect(resolvedCompose({ JOBWATCH_API_TOKEN: 't0ken' }).services.server!.environment!.JOBWATCH_API_TOKEN).toBe('t0ken');
  });
});
