import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { BenchServices } from './services.ts';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  redis: string;
  /** Redis settings that bear on the figures: `hz` (timer precision), `hash-max-listpack-value` (memory). */
  redisSettings: Record<string, string>;
  postgres: string;
  bullmq: string;
  pgBoss: string;
  /** 1, 5 and 15 minute load averages: others' work on a shared machine shows here. */
  loadAverage: { start: string[]; end: string[] };
}

export async function describeMachine(services: BenchServices): Promise<Machine> {
  const cpus = os.cpus();
  const { redis, postgres } = await services.versions();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    redis,
    redisSettings: {
      hz: await services.redisSetting('hz'),
      'hash-max-listpack-value': await services.redisSetting('hash-max-listpack-value'),
    },
    postgres,
    bullmq: packageVersion('bullmq'),
    pgBoss: packageVersion('pg-boss'),
    loadAverage: { start: loadAverage(), end: [] },
  };
}

export function loadAverage(): string[] {
  return os.loadavg().map((value) => value.toFixed(2));
}

function packageVersion(name: string): string {
  const file = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
