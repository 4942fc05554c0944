import type { MonitorContext } from '../monitor/context.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';
import type { StatusAnswer } from '../monitor/gate/hold.ts';
import type { SpanHandle } from '../monitor/span-handle.ts';
import { HookBatchStatusProvider } from './hook-batch-provider.ts';
import { DEFAULT_HOOK_RATE_KEY } from '../monitor/gate/rate-key.ts';

/** Sends each monitor to the provider its status source names. */
export class StatusRouter implements StatusProvider {
  constructor(
    /** `hook` only when JOBWATCH_STATUS_HOOK names a module; the HTTP ones always. */
    private readonly providers: {
      http: StatusProvider; batch: StatusProvider; hook?: StatusProvider | undefined;
      /** Source monitors one request each (and those whose source this worker lacks, which it fails as `unknown-source`). */
      source: StatusProvider;
      /** Monitors of batch sources, gathered into batches. */
      sourceBatch: StatusProvider & { handles(context: MonitorContext): boolean };
    },
    /** The rate key of hook monitors that name none: the status hook module's `rateKey` export, or `hook`. */
    readonly hookRateKey: string = DEFAULT_HOOK_RATE_KEY,
  ) {}

  read(context: MonitorContext, span?: SpanHandle): Promise<StatusAnswer> {
    if (context.status.kind === 'http') return this.providers.http.read(context, span);
    if (context.status.kind === 'batch') return this.providers.batch.read(context, span);
    if (context.status.kind === 'source') return (this.providers.sourceBatch.handles(context) ? this.providers.sourceBatch : this.providers.source).read(context, span);
    // A hook monitor reaches a worker started without the hook when its producer had one.
    if (this.providers.hook) return this.providers.hook.read(context, span);
    return Promise.resolve({
      ok: false,
      failure: { reason: 'hook-error', message: 'this worker has no status hook; set JOBWATCH_STATUS_HOOK to a module exporting getJobStatus' },
    });
  }

  batches(context: MonitorContext): boolean {
    if (context.status.kind === 'batch') return true;
    if (context.status.kind === 'source') return this.providers.sourceBatch.handles(context);
    return context.status.kind === 'hook' && this.providers.hook instanceof HookBatchStatusProvider;
  }

  async close(): Promise<void> {
    await Promise.all([this.providers.http.close(), this.providers.batch.close(), this.providers.source.close(), this.providers.sourceBatch.close(), this.providers.hook?.close()]);
  }
}
