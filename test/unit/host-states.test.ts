import { describe, expect, it } from 'vitest';
import { parseGateState, type StoredGateState } from '../../src/gate/host-states.ts';
import { hostStateOf } from '../../src/monitor/gate/decisions.ts';
import { parseRateLimits, limitFor } from '../../src/monitor/gate/rate-limits.ts';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const parsed = parseRateLimits('api.vendor.com=10/s');
const limits = parsed.ok ? parsed.limits : undefined;
const settings = { limit: limitFor(limits!, 'api.vendor.com'), hostFailures: 20, probeEveryMs: 30_000 };
const none: StoredGateState = { rate: null, hold: null, fails: null, open: null };

describe('hostStateOf: what the gate stored, as the monitors page shows it', () => {
  it.each([
    { name: 'nothing stored, no limit: ok, nothing to say', stored: none, limit: false, state: 'ok', detail: undefined },
    { name: 'a limit with slots free: ok, and the limit', stored: { ...none, rate: `${NOW + 10},${NOW}` }, limit: true, state: 'ok', detail: 'limit 10/s' },
    { name: 'slots booked ahead: rate-limited, how far', stored: { ...none, rate: `${NOW + 2_000},${NOW}` }, limit: true, state: 'rate-limited', detail: 'limit 10/s: slots booked 20 ahead (2.0 s)' },
    { name: 'a Retry-After in force: held, until when', stored: { ...none, hold: String(NOW + 60_000) }, limit: false, state: 'held', detail: 'Retry-After: held until 2026-11-30T12:01:00.000Z' },
    { name: 'a Retry-After that has passed: ok', stored: { ...none, hold: String(NOW - 1) }, limit: false, state: 'ok', detail: undefined },
    { name: 'failures in a row, circuit closed: failing, how near it is to opening', stored: { ...none, fails: '3' }, limit: false, state: 'failing', detail: '3 failed in a row (the circuit opens at 20)' },
    {
      name: 'an open circuit wins over a hold and says when its probe goes', stored: { ...none, open: String(NOW + 12_000), hold: String(NOW + 60_000) }, limit: false,
      state: 'circuit-open', detail: 'circuit open: one probe every 30 s, the next at 2026-11-30T12:00:12.000Z; Retry-After: held until 2026-11-30T12:01:00.000Z',
    },
    { name: 'an open circuit whose probe time has come: the next poll probes', stored: { ...none, open: String(NOW - 5) }, limit: false, state: 'circuit-open', detail: 'circuit open: one probe every 30 s, the next with the next poll' },
  ])('$name', ({ stored, limit, state, detail }) => {
    const found = hostStateOf(parseGateState(stored, NOW), NOW, { ...settings, limit: limit ? settings.limit : undefined });
    expect(found).toEqual(detail === undefined ? { state } : { state, detail });
  });

  it('reads what it cannot parse as nothing, rather than failing the page', () => {
    expect(hostStateOf(parseGateState({ rate: 'garbage', hold: 'x', fails: 'y', open: null }, NOW), NOW, settings)).toEqual({ state: 'ok', detail: 'limit 10/s' });
  });
});
