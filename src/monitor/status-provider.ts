import type { MonitorContext } from './context.ts';
import type { StatusReading } from './reading.ts';

/**
 * Reads one job's status: the port the poll processor calls, implemented in status/ (HTTP, the
 * code hook). Implementations never throw: failures come back as readings.
 */
export interface StatusProvider {
  read(context: MonitorContext): Promise<StatusReading>;
  close(): Promise<void>;
}
