// Expected values computed independently with Python's statistics.NormalDist (exact normal
// quantile/CDF) from the textbook formulas, not with this module; Wilson 0/10 → 0.2775 also
// appears in Brown, Cai & DasGupta (2001).
import { describe, expect, it } from 'vitest';
import { histogramQuantile, wilson } from '../../src/report/stats.js';

describe('wilson', () => {
  it.each([
    [0, 10, 0.0, 0.277533],
    [5, 10, 0.236593, 0.763407],
    [1, 100, 0.001767, 0.054486],
    [50, 1000, 0.03813, 0.065314],
    [10, 10, 0.722467, 1.0],
  ])('%i of %i → [%f, %f]', (k, n, lo, hi) => {
    const ci = wilson(k, n);
    expect(ci).not.toBeNull();
    expect(ci?.[0]).toBeCloseTo(lo, 5);
    expect(ci?.[1]).toBeCloseTo(hi, 5);
  });

  it('has no interval without trials', () => {
    expect(wilson(0, 0)).toBeNull();
  });
});

describe('histogramQuantile', () => {
  const bounds = [5, 10, 25, 50];
  it.each([
    // all in (10,25]: p50 = 10 + 15 × 0.5
    [[0, 0, 10, 0, 0], 0.5, 17.5],
    // half in [0,5], half in (25,50]: rank 50 ends bucket 0 exactly
    [[50, 0, 0, 50, 0], 0.5, 5],
    // rank 99: 49 of 50 into (25,50] → 25 + 25 × 0.98
    [[50, 0, 0, 50, 0], 0.99, 49.5],
    // rank falls in +Inf: answer the highest finite bound
    [[1, 0, 0, 0, 9], 0.5, 50],
  ])('counts %j q=%f → %f', (counts, q, want) => {
    expect(histogramQuantile(bounds, counts, q)).toBeCloseTo(want, 9);
  });

  it('is null when empty', () => {
    expect(histogramQuantile(bounds, [0, 0, 0, 0, 0], 0.5)).toBeNull();
  });
});
