import { describe, expect, it } from 'vitest';
import type { MonitorContext, StatusSource } from '../../src/monitor/context.ts';
import type { StatusProvider } from '../../src/monitor/status-provider.ts';
import { HookBatchStatusProvider } from '../../src/status/hook-batch-provider.ts';
import { StatusRouter } from '../../src/status/status-router.ts';

const unused: StatusProvider = { read: () => Promise.reject(new Error('not read here')), close: () => Promise.resolve() };
const limits = { maxIds: 100, windowMs: 20, timeoutMs: 1_000 };
const monitor = (status: StatusSource) => ({ status, jobId: 'j' }) as MonitorContext;

function router(hook: StatusProvider | undefined): StatusRouter {
  // The source batch provider is told which sources have a batch endpoint; here, `nightly` has.
  const sourceBatch = { ...unused, handles: (context: MonitorContext) => context.status.kind === 'source' && context.status.name === 'nightly' };
  return new StatusRouter({ http: unused, batch: unused, source: unused, sourceBatch, hook });
}

describe('which monitors a worker batches (their polls meet at slots)', () => {
  const batchHook = new HookBatchStatusProvider(() => Promise.resolve({}), limits);
  it.each([
    { name: 'a batchStatusUrl', status: { kind: 'batch', url: 'http://x/b' }, hook: undefined, batches: true },
    { name: 'a statusUrl', status: { kind: 'http', url: 'http://x/{jobId}' }, hook: undefined, batches: false },
    { name: 'a hook that exports getJobStatuses', status: { kind: 'hook' }, hook: batchHook, batches: true },
    { name: 'a hook of one job at a time', status: { kind: 'hook' }, hook: unused, batches: false },
    { name: 'a hook, on a worker without one', status: { kind: 'hook' }, hook: undefined, batches: false },
    { name: 'a source with a batch endpoint', status: { kind: 'source', name: 'nightly', params: {} }, hook: undefined, batches: true },
    { name: 'a source of single requests', status: { kind: 'source', name: 'daily', params: {} }, hook: undefined, batches: false },
  ] satisfies { name: string; status: StatusSource; hook: StatusProvider | undefined; batches: boolean }[])('$name: $batches', ({ status, hook, batches }) => {
    expect(router(hook).batches(monitor(status))).toBe(batches);
  });
});
