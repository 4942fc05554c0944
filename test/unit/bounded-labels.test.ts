import { describe, expect, it } from 'vitest';
import { BoundedLabels } from '../../src/metrics/bounded-labels.ts';

describe('BoundedLabels', () => {
  it('names the first values as they are, sums the rest under other, and keeps naming those it named', () => {
    const labels = new BoundedLabels(2);
    expect(['a', 'b', 'c', 'a', 'd', 'b'].map((value) => labels.labelOf(value))).toEqual(['a', 'b', 'other', 'a', 'other', 'b']);
  });
});
