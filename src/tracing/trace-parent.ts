/**
 * The W3C `traceparent` a monitor's context stores: version 00, as OpenTelemetry writes it,
 * `00-{trace id: 32 hex}-{parent id: 16 hex}-{flags: 2 hex}`, in lower case.
 */
export const TRACE_ID_AT = 3;
export const TRACE_ID_LENGTH = 32;
export const SPAN_ID_AT = 36;
export const SPAN_ID_LENGTH = 16;
const FLAGS_AT = 53;
const LENGTH = 55;
/** The flag that says the trace is recorded. */
export const SAMPLED = 1;

const DASH = 0x2d;
const ZERO = 0x30;

/** Each lower-case hex digit's value plus one, by character code; 0 for any other ASCII character. */
const HEX_DIGITS = new Uint8Array(128);
for (let digit = 0; digit < 16; digit++) HEX_DIGITS['0123456789abcdef'.charCodeAt(digit)] = digit + 1;

/**
 * The flags of `header` when it is a valid traceparent (neither id all zeros), else -1. It runs
 * at every poll of a traced monitor, so it reads the string in place through a table: no RegExp
 * (whose test took half as long again), no cut string, no match array. Accepts what
 * OpenTelemetry's W3C propagator accepts of version 00 (test/unit/trace-parent.test.ts holds the
 * two side by side).
 */
export function traceParentFlags(header: string): number {
  if (header.length !== LENGTH || header.charCodeAt(0) !== ZERO || header.charCodeAt(1) !== ZERO) return -1;
  if (header.charCodeAt(2) !== DASH || header.charCodeAt(SPAN_ID_AT - 1) !== DASH || header.charCodeAt(FLAGS_AT - 1) !== DASH) return -1;
  if (hexBits(header, TRACE_ID_AT, TRACE_ID_LENGTH) <= 0 || hexBits(header, SPAN_ID_AT, SPAN_ID_LENGTH) <= 0) return -1;
  const high = hexBits(header, FLAGS_AT, 1);
  const low = hexBits(header, FLAGS_AT + 1, 1);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

/** The bits of `length` hex digits from `at` OR-ed together (0 when all are zeros), or -1 if one is not a lower-case hex digit. */
function hexBits(header: string, at: number, length: number): number {
  let bits = 0;
  for (let index = at; index < at + length; index++) {
    const code = header.charCodeAt(index);
    const digit = code < HEX_DIGITS.length ? HEX_DIGITS[code]! : 0;
    if (digit === 0) return -1;
    bits |= digit - 1;
  }
  return bits;
}
