import type { MonitorContext } from './context.ts';
import type { StatusAnswer } from './gate/hold.ts';
import type { SpanHandle } from './span-handle.ts';

/**
 * Reads one job's status: the port the poll processor calls, implemented in status/ (HTTP, the
 * code hook, batches). Implementations never throw: failures come back as readings, and a request
 * a RequestGate held back comes back as a HeldAnswer.
 */
export interface StatusProvider {
  /** `span`, with tracing on: the poll's, which an HTTP request made for the read is a child of. */
  read(context: MonitorContext, span?: SpanHandle): Promise<StatusAnswer>;
  /** Whether this monitor's reads are gathered into batches: its polls then meet at slots (see `slotIn`). @defaultValue never */
  batches?(context: MonitorContext): boolean;
  close(): Promise<void>;
}
