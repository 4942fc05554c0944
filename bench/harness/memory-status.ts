import type { MonitorContext } from '../../src/monitor/context.ts';
import type { StatusProvider } from '../../src/monitor/status-provider.ts';
import type { StatusReading } from '../../src/monitor/reading.ts';

const PROCESSING: StatusReading = { ok: true, status: 'Processing', body: { status: 'Processing' } };
const COMPLETED: StatusReading = { ok: true, status: 'Completed', body: { status: 'Completed' } };

/**
 * A status provider that answers from memory, with no I/O: Processing for a monitor's first
 * `pollsToComplete - 1` polls, then Completed. What is left to measure is jobwatch itself.
 * It reads the poll number from the context (which jobwatch persists), so it keeps no state.
 */
export class InMemoryStatusProvider implements StatusProvider {
  constructor(private readonly pollsToComplete: number) {}

  read(context: MonitorContext): Promise<StatusReading> {
    return Promise.resolve(context.polls + 1 >= this.pollsToComplete ? COMPLETED : PROCESSING);
  }

  async close(): Promise<void> {}
}
