/** The Gilbert–Elliott link: time shares and mean state durations as the model says, reproducible per seed. */
import { describe, expect, it } from 'vitest';
import { BurstyLink } from '../../src/simulator/link.js';
import { rngFor } from '../../src/simulator/prng.js';

/** Walks a link over `seconds` in 10 ms steps: share of time bad, and the mean length of bad and good spells (s). */
function walk(seed: string, goodS: number, badS: number, seconds: number): { badShare: number; badMean: number; goodMean: number } {
  const link = new BurstyLink(rngFor(seed, 'link'));
  let bad = 0;
  const spells = { bad: [] as number[], good: [] as number[] };
  let state: boolean | null = null;
  let since = 0;
  for (let t = 0; t < seconds * 1000; t += 10) {
    const b = link.isBad(t, goodS, badS);
    if (b) bad++;
    if (state !== null && b !== state) {
      (state ? spells.bad : spells.good).push((t - since) / 1000);
      since = t;
    }
    if (state === null) since = t;
    state = b;
  }
  const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
  return { badShare: bad / (seconds * 100), badMean: mean(spells.bad.slice(1)), goodMean: mean(spells.good.slice(1)) };
}

describe('BurstyLink', () => {
  it.each([
    [60, 10],
    [5, 5],
    [1, 3],
  ])('good %ss / bad %ss: time share and spell lengths match the model', (goodS, badS) => {
    const r = walk(`share-${goodS}-${badS}`, goodS, badS, 40_000);
    expect(r.badShare).toBeCloseTo(badS / (goodS + badS), 1);
    expect(r.badMean / badS).toBeGreaterThan(0.85);
    expect(r.badMean / badS).toBeLessThan(1.15);
    expect(r.goodMean / goodS).toBeGreaterThan(0.85);
    expect(r.goodMean / goodS).toBeLessThan(1.15);
  });

  it('never bad without bursts, and the same seed gives the same states', () => {
    const none = new BurstyLink(rngFor(1, 'x'));
    for (let t = 0; t < 100_000; t += 100) expect(none.isBad(t, 60, 0)).toBe(false);
    const a = new BurstyLink(rngFor(2, 'x'));
    const b = new BurstyLink(rngFor(2, 'x'));
    for (let t = 0; t < 100_000; t += 50) expect(a.isBad(t, 2, 1)).toBe(b.isBad(t, 2, 1));
  });
});
