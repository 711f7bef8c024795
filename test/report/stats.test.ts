// Expected values computed independently with Python's statistics.NormalDist (exact normal
// quantile/CDF) from the textbook formulas, not with this module; Wilson 0/10 → 0.2775 also
// appears in Brown, Cai & DasGupta (2001).
import { describe, expect, it } from 'vitest';
import { histogramQuantile, normalCdf, twoProportionZ, wilson } from '../../src/report/stats.js';

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

describe('twoProportionZ', () => {
  it.each([
    [30, 1000, 10, 1000, 3.194383, 0.0014013],
    [12, 400, 12, 400, 0, 1],
    [5, 200, 1, 250, 1.929938, 0.0536145],
    [100, 5000, 60, 5000, 3.187884, 0.00143318],
    [11000, 1_000_000, 10000, 1_000_000, 6.937172, 4.0e-12],
  ])('%i/%i vs %i/%i → z=%f p=%f', (k1, n1, k2, n2, z, p) => {
    const r = twoProportionZ(k1, n1, k2, n2);
    expect(r.z).toBeCloseTo(z, 4);
    // Expected p carries 5–6 significant digits; erfc itself is good to 1.2e-7 relative.
    expect(Math.abs(r.pValue - p)).toBeLessThanOrEqual(Math.max(2e-5 * p, 1e-9));
  });

  it('is antisymmetric in its samples', () => {
    expect(twoProportionZ(10, 1000, 30, 1000).z).toBeCloseTo(-3.194383, 4);
  });

  it.each([
    [0, 100, 0, 100],
    [100, 100, 50, 50],
    [1, 0, 1, 10],
  ])('no evidence when %i/%i vs %i/%i has no variance or no sample', (k1, n1, k2, n2) => {
    expect(twoProportionZ(k1, n1, k2, n2)).toEqual({ z: 0, pValue: 1 });
  });
});

describe('normalCdf', () => {
  it.each([
    [0, 0.5],
    [1.959964, 0.975],
    [-1.644854, 0.05],
    [3, 0.998650102],
  ])('Φ(%f) = %f', (z, p) => {
    expect(normalCdf(z)).toBeCloseTo(p, 6);
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
