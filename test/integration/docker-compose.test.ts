import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { assertBindAllowed, assertStatusUrlsRestricted } from '../../src/http/loopback.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Debian's docker-compose validates the file without a Docker engine; CI installs it (.ci/run).
const hasCompose = spawnSync('docker-compose', ['--version']).status === 0;
if (!hasCompose && process.env.CI) throw new Error('docker-compose is not installed: apt-get install -y docker-compose');

interface Service {
  image?: string;
  command?: string[];
  restart?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: unknown[];
  container_name?: string;
}

// An empty env file stands for a fresh clone's missing .env, whatever the checkout holds.
const scratch = mkdtempSync(join(tmpdir(), 'jobwatch-compose-'));
const NO_ENV_FILE = join(scratch, 'empty.env');
writeFileSync(NO_ENV_FILE, '');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function resolvedCompose(env: Record<string, string> = {}): { services: Record<string, Service>; volumes: Record<string, unknown> } {
  const yaml = execFileSync('docker-compose', ['--env-file', NO_ENV_FILE, 'config'], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  // Debian's docker-compose depends on python3-yaml, so its own python can turn the YAML into JSON.
  const json = execFileSync('/usr/bin/python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: yaml, encoding: 'utf8' });
  return JSON.parse(json);
}

/** The flag of each jobwatch command that may listen beyond loopback only with JOBWATCH_API_TOKEN (and the server, with JOBWATCH_ALLOWED_STATUS_URLS). */
const TOKEN_GATED_HOST_FLAG: Record<string, string> = { server: '--host', worker: '--metrics-host' };

/**
 * Throws what the jobwatch process would stop with at start, from the service's environment and
 * command alone: a bad variable, or a listening address its token does not allow.
 */
function assertStarts(service: Service): void {
  const config = loadConfig(service.environment ?? {});
  const [command = '', ...args] = service.command ?? [];
  const flag = TOKEN_GATED_HOST_FLAG[command];
  const at = flag ? args.indexOf(flag) : -1;
  if (flag && at >= 0) assertBindAllowed(flag, args[at + 1]!, config);
  if (command === 'server' && at >= 0) assertStatusUrlsRestricted(flag!, args[at + 1]!, config.allowedStatusUrls);
}

const startsByDefault = (service: Service) => !service.profiles?.length;
const restarts = (service: Service) => (service.restart ?? 'no') !== 'no';

describe.runIf(hasCompose)('docker-compose.yml', () => {
  const compose = hasCompose ? resolvedCompose() : { services: {}, volumes: {} };

  it('runs redis, postgres, a one-shot migrate, the demo job service, workers and (with their profiles) the server, Prometheus and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['demo-api', 'grafana', 'migrate', 'postgres', 'prometheus', 'redis', 'server', 'worker']);
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
    expect(worker.command).toEqual(['worker', '--metrics-port', '9464', '--metrics-host', '127.0.0.1']);
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

  it('starts with no .env, leaving no service to restart forever; the server waits behind its profile', () => {
    const byDefault = Object.entries(compose.services).filter(([, service]) => startsByDefault(service));
    expect(byDefault.map(([name]) => name).sort()).toEqual(['demo-api', 'migrate', 'postgres', 'redis', 'worker']);
    for (const [name, service] of byDefault) {
      if (!restarts(service) || service.image !== 'jobwatch:local') continue; // redis and postgres: their own images
      expect(() => assertStarts(service), `${name} with no .env`).not.toThrow();
    }
    expect(compose.services.server!.profiles).toEqual(['server']);
  });

  it('runs the server on 0.0.0.0 with a token, and says why it needs one', () => {
    expect(() => assertStarts(compose.services.server!)).toThrow(/without JOBWATCH_KEYS_FILE or JOBWATCH_API_TOKEN the server listens on loopback only/);
    const withToken = resolvedCompose({ JOBWATCH_API_TOKEN: 'a'.repeat(32) }).services.server!;
    expect(withToken.command).toEqual(expect.arrayContaining(['--host', '0.0.0.0']));
    expect(() => assertStarts(withToken)).not.toThrow();
  });

  it('restricts the server\'s status URLs, as a server beyond loopback must: to the demo service unless told otherwise', () => {
    const withToken = resolvedCompose({ JOBWATCH_API_TOKEN: 'a'.repeat(32) }).services.server!;
    expect(withToken.environment!.JOBWATCH_ALLOWED_STATUS_URLS).toBe('http://demo-api:4000/');
    const sourcesOnly = resolvedCompose({ JOBWATCH_API_TOKEN: 'a'.repeat(32), JOBWATCH_ALLOWED_STATUS_URLS: 'sources' }).services.server!;
    expect(() => assertStarts(sourcesOnly)).not.toThrow();
    const unrestricted = { ...withToken, environment: { ...withToken.environment, JOBWATCH_ALLOWED_STATUS_URLS: '' } };
    expect(() => assertStarts(unrestricted)).toThrow(/must not fetch any loopback URL a client sends; set JOBWATCH_ALLOWED_STATUS_URLS/);
  });

  it('puts Prometheus and Grafana behind the observability profile, with the rules, the scrape config and the dashboard mounted', () => {
    const observed = resolvedCompose({ JOBWATCH_API_TOKEN: 'a'.repeat(32), JOBWATCH_WORKER_METRICS_HOST: '0.0.0.0' });
    const prometheus = observed.services.prometheus! as Service & { volumes: (string | { source: string; target: string })[] };
    const grafana = observed.services.grafana! as Service & { volumes: (string | { source: string; target: string })[] };
    expect(prometheus.profiles).toEqual(['observability']);
    expect(grafana.profiles).toEqual(['observability']);
    const mounts = (service: { volumes: (string | { source: string; target: string })[] }) =>
      service.volumes.map((volume) => (typeof volume === 'string' ? volume : `${volume.source}:${volume.target}`)).join('\n');
    expect(mounts(prometheus)).toMatch(/deploy\/prometheus\/jobwatch-rules\.yml:\/etc\/prometheus\/jobwatch\/jobwatch-rules\.yml/);
    expect(mounts(prometheus)).toMatch(/deploy\/prometheus\/prometheus\.yml:\/etc\/prometheus\/jobwatch\/prometheus\.yml/);
    expect(mounts(grafana)).toMatch(/deploy\/grafana\/provisioning:\/etc\/grafana\/provisioning/);
    expect(mounts(grafana)).toMatch(/deploy\/grafana\/jobwatch\.json:\/var\/lib\/grafana\/dashboards\/jobwatch\.json/);
    expect(prometheus.environment!.JOBWATCH_API_TOKEN).toBe('a'.repeat(32));
    // The workers serve /metrics beyond their container's loopback only when told to, and then only with the token.
    const worker = observed.services.worker!;
    expect(worker.command).toEqual(['worker', '--metrics-port', '9464', '--metrics-host', '0.0.0.0']);
    expect(() => assertStarts(worker)).not.toThrow();
    const tokenless = { ...worker, environment: { ...worker.environment, JOBWATCH_API_TOKEN: '' } };
    expect(() => assertStarts(tokenless)).toThrow(/--metrics-host 0\.0\.0\.0: without JOBWATCH_KEYS_FILE or JOBWATCH_API_TOKEN/);
    const profiled = execFileSync('docker-compose', ['--env-file', NO_ENV_FILE, '--profile', 'observability', 'config', '--services'], { cwd: ROOT, env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(profiled.split('\n')).toEqual(expect.arrayContaining(['prometheus', 'grafana']));
  });

  it('passes the API token to the server from the environment, never a default secret', () => {
    expect(compose.services.server!.environment!.JOBWATCH_API_TOKEN).toBe('');
    expect(resolvedCompose({ JOBWATCH_API_TOKEN: 't0ken' }).services.server!.environment!.JOBWATCH_API_TOKEN).toBe('t0ken');
  });
});
