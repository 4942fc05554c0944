// A `jobwatch worker` for the reliability tests: the same worker, plus a fault hook that SIGKILLs
// this process at the named points of a poll, with the given probability. Test-only: production
// workers have no fault hook.
//   CHAOS_CRASH_AT=after-status-check:0.05,after-reschedule:0.05 (point:probability)
// and, so that every point is crashed at least once whatever the dice say, once per point at a
// given monitor, across all the workers of a run (a marker folder per point says it happened):
//   CHAOS_CRASH_ONCE=after-status-check:chaos-1,after-reschedule:chaos-4 CHAOS_MARKER_DIR=/tmp/x
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { FaultHook, FaultPoint } from '../../src/queue/fault-points.ts';
import { onShutdownSignal } from '../../src/wiring/signals.ts';
import { startWorkerProcess } from '../../src/wiring/worker-process.ts';

const probabilities = new Map((process.env.CHAOS_CRASH_AT ?? '').split(',').filter(Boolean).map((entry) => {
  const [point, probability] = entry.split(':');
  return [point as FaultPoint, Number(probability)];
}));

const onceAt = new Map((process.env.CHAOS_CRASH_ONCE ?? '').split(',').filter(Boolean).map((entry) => {
  const [point, monitorId] = entry.split(':');
  return [point as FaultPoint, monitorId];
}));

/** True for the first worker of the run to get here: making the marker folder is atomic. */
function firstTimeAt(point: FaultPoint): boolean {
  try {
    mkdirSync(join(process.env.CHAOS_MARKER_DIR!, point));
    return true;
  } catch {
    return false;
  }
}

const faultHook: FaultHook = (point, monitorId) => {
  const once = onceAt.get(point) === monitorId && firstTimeAt(point);
  if (once || Math.random() < (probabilities.get(point) ?? 0)) {
    process.stderr.write(`chaos: crashing at ${point} of ${monitorId}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
};

const config = loadConfig(process.env);
const logger = createLogger(config, { pretty: false, name: 'chaos-worker' });
const worker = await startWorkerProcess(config, logger, { faultHook, concurrency: Number(process.env.CHAOS_CONCURRENCY ?? '20') });
onShutdownSignal(async () => {
  await worker.close();
}, () => {});
process.stdout.write('chaos worker ready\n');
