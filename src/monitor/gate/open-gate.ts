import type { Admission, RequestGate } from './request-gate.ts';

const ADMITTED: Admission = Object.freeze({ probe: false, failures: 0 });

/** A gate that admits every request and records nothing (JOBWATCH_GATE=off): for measuring what the real one costs. */
export const OPEN_GATE: RequestGate = Object.freeze({
  admit: () => Promise.resolve(ADMITTED),
  observe: () => Promise.resolve(undefined),
});
