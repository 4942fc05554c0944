import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Job } from 'bullmq';
import { runningState } from '../../src/client/monitor-state.ts';
import { createPollMetrics, MAX_RATE_KEY_LABELS } from '../../src/metrics/poll-metrics.ts';
import type { MonitorContext } from '../../src/monitor/context.ts';
import { decideAfterCheck, decideBeforeCheck, type PollPolicy } from '../../src/monitor/decide.ts';
import { decideHold, type Hold, type StatusAnswer } from '../../src/monitor/gate/hold.ts';
import type { StatusReading } from '../../src/monitor/reading.ts';
import type { Admission, RequestGate } from '../../src/monitor/gate/request-gate.ts';
import type { StatusProvider } from '../../src/monitor/status-provider.ts';
import { createVocabulary } from '../../src/monitor/statuses.ts';
import { GatedStatusProvider } from '../../src/monitor/gate/gated-provider.ts';
import { describePollData } from '../../src/http/board-format.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const policy: PollPolicy = { vocabulary: createVocabulary(), maxConsecutiveFailures: 3, retryBaseMs: 1_000, retryMaxMs: 60_000, notFoundEndsMonitor: true };

function context(overrides: Partial<MonitorContext> = {}): MonitorContext {
  return {
    monitorId: 'm1', jobId: 'j1', status: { kind: 'http', url: 'https://api.vendor.com/jobs/{jobId}' }, statusField: 'status',
    intervalMs: 60_000, expireAt: T0 + 3_600_000, startedAt: T0, polls: 4, consecutiveFailures: 0,
    lastStatus: 'Processing', lastError: null, nextCheckAt: T0, metadata: null, ...overrides,
  };
}
const circuit: Hold = { key: 'api.vendor.com', reason: 'circuit-open', until: T0 + 30_000 };

describe('decisions about held polls', () => {
  it('re-delays a held poll to the end of its hold, counts and failures as they were, never past the expiry', () => {
    const held = decideHold(context({ consecutiveFailures: 2 }), circuit);
    expect(held).toMatchObject({ nextCheckAt: T0 + 30_000, hold: circuit, polls: 4, consecutiveFailures: 2 });
    const late = decideHold(context({ expireAt: T0 + 10_000 }), circuit);
    expect(late.nextCheckAt).toBe(T0 + 10_000);
  });

  it('ends a monitor that reaches its expiry held as expired, not errored, however its last checks went', () => {
    const ctx = decideHold(context({ consecutiveFailures: 2, lastError: 'GET … answered 502', expireAt: T0 + 10_000 }), circuit);
    const step = decideBeforeCheck(ctx, T0 + 10_000, false);
    expect(step).toMatchObject({ kind: 'finish', result: { outcome: 'expired', polls: 4 } });
    if (step.kind === 'finish') {
      expect(step.result.detail).toEqual({
        lastStatus: 'Processing', expiredAt: new Date(T0 + 10_000).toISOString(), lastError: 'GET … answered 502',
        heldBy: { key: 'api.vendor.com', reason: 'circuit-open', until: new Date(T0 + 30_000).toISOString() },
      });
    }
    // Without the hold, failing checks at expiry still end it errored.
    const { hold: _hold, ...unheld } = ctx;
    expect(decideBeforeCheck(unheld, T0 + 10_000, false)).toMatchObject({ result: { outcome: 'errored' } });
  });

  it('forgets the hold at the next status check', () => {
    const after = decideAfterCheck(decideHold(context(), circuit), { ok: true, status: 'Processing', body: {} }, T0 + 31_000, policy, 0);
    expect(after.kind).toBe('reschedule');
    if (after.kind === 'reschedule') expect(after.context).not.toHaveProperty('hold');
  });
});

/** A gate that answers from a script and records what it was asked. */
class FakeGate implements RequestGate {
  readonly calls: string[] = [];
  constructor(private readonly admission: Admission, private readonly observed?: Hold) {}
  async admit(key: string, reservation?: Hold): Promise<Admission> {
    this.calls.push(`admit ${key}${reservation ? ` with ${reservation.reason}` : ''}`);
    return this.admission;
  }
  async observe(key: string, reading: StatusReading, admission?: Admission): Promise<Hold | undefined> {
    this.calls.push(`observe ${key} ${reading.ok ? 'ok' : reading.failure.reason}${admission ? ' after admit' : ''}`);
    return this.observed;
  }
}

class CountingProvider implements StatusProvider {
  reads = 0;
  constructor(private readonly reading: StatusReading) {}
  async read(): Promise<StatusAnswer> {
    this.reads++;
    return this.reading;
  }
  async close() {}
}

describe('GatedStatusProvider', () => {
  const processing: StatusReading = { ok: true, status: 'Processing', body: {} };
  const keyOf = (c: MonitorContext) => (c.status.kind === 'http' ? new URL(c.status.url).host : 'hook');

  it('admits, sends and observes each request, under the monitor\'s key, with the hold it waited under', async () => {
    const gate = new FakeGate({ probe: false, failures: 0 });
    const inner = new CountingProvider(processing);
    const reservation: Hold = { key: 'api.vendor.com', reason: 'rate-limit', until: T0 };
    expect(await new GatedStatusProvider(inner, gate, keyOf).read(context({ hold: reservation }))).toBe(processing);
    expect(inner.reads).toBe(1);
    expect(gate.calls).toEqual(['admit api.vendor.com with rate-limit', 'observe api.vendor.com ok after admit']);
  });

  it('sends nothing when the gate holds the request back, and answers the hold', async () => {
    const hold: Hold = { key: 'api.vendor.com', reason: 'rate-limit', until: T0 + 200 };
    const gate = new FakeGate({ hold, probe: false, failures: 0 });
    const inner = new CountingProvider(processing);
    expect(await new GatedStatusProvider(inner, gate, keyOf).read(context())).toEqual({ held: hold });
    expect(inner.reads).toBe(0);
    expect(gate.calls).toEqual(['admit api.vendor.com']);
  });

  it('turns an answer into the hold the gate makes of it (a 429 with Retry-After, a failed probe)', async () => {
    const hold: Hold = { key: 'api.vendor.com', reason: 'retry-after', until: T0 + 5_000 };
    const tooMany: StatusReading = { ok: false, failure: { reason: 'http-status', httpStatus: 429, message: '429', retryAfterMs: 5_000 } };
    const gate = new FakeGate({ probe: false, failures: 0 }, hold);
    expect(await new GatedStatusProvider(new CountingProvider(tooMany), gate, keyOf).read(context())).toEqual({ held: hold });
  });
});

describe('what status, the API and the board show of a hold', () => {
  it('a held monitor says why and until when; one without a hold says nothing of it', () => {
    const job = { data: decideHold(context({ rateKey: 'Vendor-Pool' }), circuit) } as Job<MonitorContext>;
    const state = runningState(job, 'delayed');
    expect(state).toMatchObject({
      state: 'scheduled', rateKey: 'Vendor-Pool', held: 'api.vendor.com circuit open until 2026-01-01T00:00:30.000Z',
      hold: { key: 'api.vendor.com', reason: 'circuit-open', until: '2026-01-01T00:00:30.000Z' },
    });
    expect(runningState({ data: context() } as Job<MonitorContext>, 'delayed')).not.toHaveProperty('held');
    expect(describePollData(job.data)).toMatchObject({ held: 'api.vendor.com circuit open until 2026-01-01T00:00:30.000Z' });
  });
});

describe('rate-limit metrics', () => {
  it('count held polls by key and reason, show how far each key\'s latest hold reaches, and cap the keys', async () => {
    const registry = new Registry();
    const observer = createPollMetrics(registry);
    const now = Date.now();
    observer.held!({ key: 'api.vendor.com', reason: 'rate-limit', until: now + 2_000 });
    observer.held!({ key: 'api.vendor.com', reason: 'rate-limit', until: now + 2_500 });
    observer.held!({ key: 'jobs.internal', reason: 'circuit-open', until: now - 1_000 });
    const text = await registry.metrics();
    expect(text).toContain('jobwatch_rate_limited_total{key="api.vendor.com",reason="rate-limit"} 2');
    expect(text).toContain('jobwatch_rate_limited_total{key="jobs.internal",reason="circuit-open"} 1');
    const delay = Number(/jobwatch_rate_limit_delay_seconds\{key="api.vendor.com"\} (\S+)/.exec(text)?.[1]);
    expect(delay).toBeGreaterThan(2);
    expect(delay).toBeLessThanOrEqual(2.5);
    expect(text).toContain('jobwatch_rate_limit_delay_seconds{key="jobs.internal"} 0');

    for (let i = 0; i < MAX_RATE_KEY_LABELS + 20; i++) observer.held!({ key: `host-${i}`, reason: 'retry-after', until: now });
    const capped = await registry.metrics();
    const keys = new Set([...capped.matchAll(/jobwatch_rate_limited_total\{key="([^"]+)"/g)].map((m) => m[1]));
    expect(keys.size).toBe(MAX_RATE_KEY_LABELS + 1);
    expect(keys.has('other')).toBe(true);
    expect(capped).toContain('jobwatch_rate_limited_total{key="other",reason="retry-after"} 22');
  });
});
