/** Per-minute sums: closed minutes and the open one, each minute's (k, n) counted once. */
import { describe, expect, it } from 'vitest';
import { MinuteTally } from '../../src/report/minutes.js';

describe('MinuteTally', () => {
  it('sums whole minutes, the open one included, without closing it', () => {
    const m = new MinuteTally();
    m.add(0, 1, 10);
    m.add(59_999, 2, 10);
    m.add(60_000, 0, 5);
    m.add(185_000, 3, 3);
    expect(m.sums()).toEqual({ buckets: 3, k: 6, n: 28, kkn: 9 / 20 + 0 + 9 / 3 });
    m.add(185_500, 1, 1);
    expect(m.sums()).toEqual({ buckets: 3, k: 7, n: 29, kkn: 9 / 20 + 16 / 4 });
  });

  it('a minute without trials is no bucket', () => {
    const m = new MinuteTally();
    m.add(0, 0, 0);
    m.add(120_000, 0, 0);
    expect(m.sums()).toEqual({ buckets: 0, k: 0, n: 0, kkn: 0 });
  });
});
