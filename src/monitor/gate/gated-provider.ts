import type { MonitorContext } from '../context.ts';
import type { SpanHandle } from '../span-handle.ts';
import type { StatusProvider } from '../status-provider.ts';
import { isHeld, type StatusAnswer } from './hold.ts';
import type { RequestGate } from './request-gate.ts';

/**
 * Puts a gate in front of a provider that sends one request per monitor (HTTP, the status hook):
 * each request is admitted first (rate limit, Retry-After hold, circuit) and its answer observed
 * after. A request the gate holds back is not sent; the poll gets the hold and waits it out, and
 * an answer that turns into a hold (a Retry-After, a failure while the circuit is open) is one too.
 */
export class GatedStatusProvider implements StatusProvider {
  constructor(
    private readonly inner: StatusProvider,
    private readonly gate: RequestGate,
    /** The rate key of a monitor (see rateKeyOf). */
    private readonly keyOf: (context: MonitorContext) => string,
  ) {}

  async read(context: MonitorContext, span?: SpanHandle): Promise<StatusAnswer> {
    const key = this.keyOf(context);
    // A poll back from a rate-limit hold comes with the slot it reserved then.
    const admission = await this.gate.admit(key, context.hold);
    if (admission.hold) return { held: admission.hold };
    const answer = await this.inner.read(context, span);
    if (isHeld(answer)) return answer;
    const hold = await this.gate.observe(key, answer, admission);
    return hold ? { held: hold } : answer;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
