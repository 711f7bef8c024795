/**
 * Pure statistics for the transport report: Wilson score intervals for rates, Student's t
 * distribution for the verdicts (verdict.ts), and quantiles from fixed-bucket histograms.
 * No state; the formulas are the textbook ones so results can be checked by hand. Student's t
 * distribution comes from stdlib (@stdlib/stats-base-dists-t-cdf: the regularised incomplete beta
 * function ported from Boost, accurate to double precision), not from a hand-written series.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

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
