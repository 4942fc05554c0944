import { describe, expect, it } from 'vitest';
import { GateView, parseGateChange } from '../../src/monitor/gate/gate-view.ts';

// The worker's copy of which keys the gate acts on: what lets a request skip the round trip.
function trusted(): GateView {
  const view = new GateView();
  view.trust();
  return view;
}

describe('parseGateChange', () => {
  it.each([
    ['hold 1500 api.vendor.com:443', { kind: 'hold', key: 'api.vendor.com:443', ms: 1500 }],
    ['fail 0 hook:my module', { kind: 'fail', key: 'hook:my module' }],
    ['open 0 a', { kind: 'open', key: 'a' }],
    ['clear 0 a', { kind: 'clear', key: 'a' }],
  ])('reads %j', (message, change) => {
    expect(parseGateChange(message)).toEqual(change);
  });

  it.each(['', 'hold', 'hold x a', 'stop 0 a', 'hold 10 '])('refuses %j', (message) => {
    expect(parseGateChange(message)).toBeUndefined();
  });
});

describe('GateView', () => {
  it('is not trusted until told, and forgets everything when distrusted', () => {
    const view = new GateView();
    expect(view.isQuiet('a', 0)).toBe(false);
    view.trust();
    expect(view.isQuiet('a', 0)).toBe(true);
    view.apply({ kind: 'open', key: 'a' }, 0);
    view.distrust();
    expect(view.isQuiet('a', 0)).toBe(false);
    view.trust();
    expect(view.isQuiet('a', 0)).toBe(true);
  });

  it('keeps a hold until its end, counted from when the news came; a longer one extends it, a shorter one does not cut it', () => {
    const view = trusted();
    view.apply({ kind: 'hold', key: 'a', ms: 1_000 }, 100);
    expect(view.isQuiet('a', 1_099)).toBe(false);
    expect(view.isQuiet('b', 1_099)).toBe(true);
    view.apply({ kind: 'hold', key: 'a', ms: 2_000 }, 500);
    view.apply({ kind: 'hold', key: 'a', ms: 10 }, 600);
    expect(view.isQuiet('a', 2_499)).toBe(false);
    expect(view.isQuiet('a', 2_500)).toBe(true);
  });

  it.each(['fail', 'open'] as const)('marks a key on %s until it is cleared', (kind) => {
    const view = trusted();
    view.apply({ kind, key: 'a' }, 0);
    expect(view.isQuiet('a', 1e12)).toBe(false);
    view.apply({ kind: 'clear', key: 'a' }, 0);
    expect(view.isQuiet('a', 0)).toBe(true);
  });

  it('drops what Redis, asked after the mark, saw nothing of', () => {
    const view = trusted();
    view.apply({ kind: 'open', key: 'a' }, 0);
    view.settle('a', view.mark());
    expect(view.isQuiet('a', 0)).toBe(true);
  });

  it('keeps a change heard after the mark: it may be newer than what Redis answered', () => {
    const view = trusted();
    const mark = view.mark();
    view.apply({ kind: 'hold', key: 'a', ms: 1_000 }, 0);
    view.settle('a', mark);
    expect(view.isQuiet('a', 10)).toBe(false);
  });
});
