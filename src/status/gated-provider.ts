import type { MonitorContext } from '../monitor/context.ts';
import { isHeld, type StatusAnswer } from '../monitor/hold.ts';
import type { HostGate } from '../monitor/request-gate.ts';
import type { StatusProvider } from '../monitor/status-provider.ts';

/**
 * Puts a gate in front of a provider that sends one request per monitor (HTTP, the status hook):
 * each request is admitted first (rate limit, Retry-After hold, circuit) and its answer observed
 * after. A request the gate holds back is not sent; the poll gets the hold and waits it out.
 */
export class GatedStatusProvider implements StatusProvider {
  constructor(
    private readonly inner: StatusProvider,
    private readonly gate: HostGate,
    /** The rate key of a monitor (see rateKeyOf). */
    private readonly keyOf: (context: MonitorContext) => string,
  ) {}

  async read(context: MonitorContext): Promise<StatusAnswer> {
    const key = this.keyOf(context);
    // A poll back from a rate-limit hold comes with the slot it reserved then.
    const admission = await this.gate.admitRequest(key, context.hold);
    if (admission.hold) return { held: admission.hold };
    const answer = await this.inner.read(context);
    if (isHeld(answer)) return answer;
    const hold = await this.gate.observeRequest(key, answer, admission);
    return hold ? { held: hold } : answer;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
