import { readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { median } from './measure.ts';

/** Linux's clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time a process has used so far (user + system), in µs, from /proc/<pid>/stat (10 ms steps). */
export async function processCpuUs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND) * 1e6;
}

/** Redis's counters at one moment: its CPU time, and calls and time per command (INFO commandstats). */
export interface RedisCounters {
  cpuUs: number;
  commands: Map<string, { calls: number; usec: number }>;
}

export async function redisCounters(redis: Redis): Promise<RedisCounters> {
  const [stats, cpu] = [await redis.info('commandstats'), await redis.info('cpu')];
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const match of stats.matchAll(/^cmdstat_(\S+?):calls=(\d+),usec=(\d+)/gm)) {
    commands.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? Number.NaN);
  return { cpuUs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6, commands };
}

/** What one round of polls cost, per poll. */
export interface PollCost {
  /** The polling process (user + system), µs per poll. */
  processUs: number;
  /** The Redis server (user + system), µs per poll; others' commands count too unless it is the bench's own. */
  redisUs: number;
  /** Per command: calls and µs (as INFO commandstats counts them) per poll. */
  commands: Map<string, { calls: number; us: number }>;
}

/**
 * Reads the counters of a polling process and of Redis at the start of a round, and at its end
 * gives their difference per poll. The bench's own INFO calls are left out of the commands.
 */
export async function startCostWindow(pid: number, redis: Redis): Promise<(polls: number) => Promise<PollCost>> {
  const [process0, redis0] = [await processCpuUs(pid), await redisCounters(redis)];
  return async (polls) => {
    const [process1, redis1] = [await processCpuUs(pid), await redisCounters(redis)];
    const commands = new Map<string, { calls: number; us: number }>();
    for (const [name, after] of redis1.commands) {
      if (name === 'info') continue;
      const before = redis0.commands.get(name) ?? { calls: 0, usec: 0 };
      if (after.calls > before.calls) commands.set(name, { calls: (after.calls - before.calls) / polls, us: (after.usec - before.usec) / polls });
    }
    return { processUs: (process1 - process0) / polls, redisUs: (redis1.cpuUs - redis0.cpuUs) / polls, commands };
  };
}

/** The median of each figure over rounds (per command too; a command missing from a round counts 0 there). */
export function medianCost(costs: readonly PollCost[]): PollCost {
  const names = new Set(costs.flatMap((cost) => [...cost.commands.keys()]));
  const commands = new Map([...names].sort().map((name) => {
    const of = (field: 'calls' | 'us') => median(costs.map((cost) => cost.commands.get(name)?.[field] ?? 0));
    return [name, { calls: of('calls'), us: of('us') }] as const;
  }));
  return { processUs: median(costs.map((cost) => cost.processUs)), redisUs: median(costs.map((cost) => cost.redisUs)), commands };
}

/** A table printed beneath the rows (see report.ts). */
export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  notes?: string[];
}

/** Side by side, per poll: each process's CPU, Redis's, and each Redis command's calls and time. */
export function costTable(title: string, columns: readonly { name: string; cost: PollCost }[], notes: string[] = []): Table {
  // Commands of fewer than one call in a thousand polls (start-up, the server's idle reads) are left out.
  const names = [...new Set(columns.flatMap(({ cost }) => [...cost.commands].filter(([, command]) => command.calls >= 0.001).map(([name]) => name)))].sort((a, b) => {
    const usOf = (name: string) => Math.max(...columns.map(({ cost }) => cost.commands.get(name)?.us ?? 0));
    return usOf(b) - usOf(a);
  });
  const pair = (calls: string, us: string) => [calls, us];
  return {
    title,
    header: ['per poll', ...columns.flatMap(({ name }) => [`${name}: calls`, 'µs'])],
    rows: [
      ['polling process CPU', ...columns.flatMap(({ cost }) => pair('', cost.processUs.toFixed(1)))],
      ['Redis CPU (INFO cpu)', ...columns.flatMap(({ cost }) => pair('', cost.redisUs.toFixed(1)))],
      ...names.map((name) => [name, ...columns.flatMap(({ cost }) => {
        const command = cost.commands.get(name);
        return command ? pair(command.calls.toFixed(3), command.us.toFixed(2)) : pair('-', '-');
      })]),
    ],
    notes,
  };
}
