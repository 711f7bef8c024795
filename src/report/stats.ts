/**
 * Pure statistics for the transport report: Wilson score intervals for rates, the pooled
 * two-proportion z-test used for every verdict, and quantiles from fixed-bucket histograms.
 * No state; the formulas are the textbook ones so results can be checked by hand. Student's t
 * distribution comes from stdlib (@stdlib/stats-base-dists-t-cdf: the regularised incomplete beta
 * function ported from Boost, accurate to double precision), not from a hand-written series.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

/**
 * Complementary error function, Numerical Recipes `erfcc` (Chebyshev fit, fractional error
 * < 1.2e-7 everywhere) — ample for p-values that only gate verdicts.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
        t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Wilson score interval for `count` successes in `total` trials; null when total is 0. */
export function wilson(count: number, total: number, z = Z95): [number, number] | null {
  if (total <= 0) return null;
  const p = count / total;
  const z2 = z * z;
  const denom = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Result of a pooled two-proportion z-test of p1 = k1/n1 against p2 = k2/n2. */
export interface ZTest {
  /** Positive when the first proportion is the larger. */
  z: number;
  /** Two-sided p-value. */
  pValue: number;
}

/**
 * Pooled two-proportion z-test. Chosen over non-overlapping Wilson intervals because it has the
 * stated false-positive rate (overlap checks are far too conservative) and gives one p-value.
 * Valid for large samples, which the report's minimum-traffic thresholds guarantee.
 */
export function twoProportionZ(k1: number, n1: number, k2: number, n2: number): ZTest {
  if (n1 <= 0 || n2 <= 0) return { z: 0, pValue: 1 };
  const pooled = (k1 + k2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // Both samples all-zero or all-one: no evidence of any difference.
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (k1 / n1 - k2 / n2) / se;
  return { z, pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

/**
 * Quantile `q` (0..1) from cumulative-free bucket counts, interpolating linearly inside the
 * bucket as Prometheus' histogram_quantile does. `bounds` are upper bounds; `counts` has one
 * more entry (the +Inf bucket), which answers with the highest finite bound. Null when empty.
 */
export function histogramQuantile(
  bounds: ArrayLike<number>,
  counts: ArrayLike<number>,
  q: number,
): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c > 0 && below + c >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1] ?? null;
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const upper = bounds[i] ?? lower;
      return lower + (upper - lower) * ((rank - below) / c);
    }
    below += c;
  }
  return bounds[bounds.length - 1] ?? null;
}

/**
 * P(T > t) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is),
 * computed as the lower tail at -t so that tiny p-values keep their precision.
 */
export function tUpperTail(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return 1;
  return tCdf(-t, df);
}
